// smoke: a few events of every kind at a low rate (at most 20/s), one run of each business flow
// and the probe: proves the whole pipeline answers before anything heavier is tried.
// The scenario itself is data in lib/model.ts (planFor("smoke")), shared with the native engine.
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

const plan = planFor("smoke", __ENV);
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
