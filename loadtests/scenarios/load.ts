// load: user-activity events at a constant arrival rate (RATE per second for DURATION), with the
// end-to-end probe beside it. `make load SCENARIO=load RATE=1000 DURATION=60s`.
// The scenario itself is data in lib/model.ts (planFor("load")), shared with the native engine.
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

const plan = planFor("load", __ENV);
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
