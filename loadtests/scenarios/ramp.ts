// ramp: stepped arrival rates (RAMP_START, +RAMP_STEP, ... up to RAMP_MAX, each held for
// STEP_DURATION) to find the knee: the highest rate the platform sustains within the SLOs.
// Each step is one time window, so latency percentiles per step land in Prometheus; the runner
// judges each step and reports the knee as a number. Bounded: at most 40 steps.
// The scenario itself is data in lib/model.ts (planFor("ramp")), shared with the native engine.
import {
  activity,
  markSetup,
  markTeardown,
  probe as probeOnce,
  summaryOutputs,
  type RunData,
} from "./lib/common.ts";
import { runFlow } from "./lib/flows.ts";
import { k6Options } from "./lib/k6-options.ts";
import { planFor } from "./lib/model.ts";

const plan = planFor("ramp", __ENV);
export const options = k6Options(plan);
export const setup = (): RunData => markSetup(plan);
export const teardown = (): void => markTeardown();
export const load = (data: RunData): void => void activity(data);
export const probe = (data: RunData): void => probeOnce(data);
export const order = (data: RunData): void => runFlow("order", data);
export const task = (data: RunData): void => runFlow("task", data);
export const customer = (data: RunData): void => runFlow("customer", data);
export const session = (data: RunData): void => runFlow("session", data);
export const handleSummary = (data: unknown) => summaryOutputs(data);
