// smoke: a few events of every kind at a low rate, one run of each business flow and the probe:
// proves the whole pipeline answers before anything heavier is tried. About 15 seconds.
import {
  DURATION,
  RATE,
  activity,
  baseOptions,
  constantRate,
  markSetup,
  markTeardown,
  probe as probeOnce,
  probeScenario,
  summaryOutputs,
  type RunData,
} from "./lib/common.ts";
import { activityMix, customerLifecycle, orderLifecycle, taskLifecycle } from "./lib/flows.ts";

const once = (exec: string) => ({
  executor: "per-vu-iterations",
  exec,
  vus: 1,
  iterations: 1,
  maxDuration: "30s",
});

export const options = baseOptions(
  {
    activity: constantRate("load", Math.min(RATE, 20), DURATION),
    probe: probeScenario(DURATION),
    order: once("order"),
    task: once("task"),
    customer: once("customer"),
    session: once("session"),
  },
  { flow_failures: ["count==0"] },
);

export const setup = (): RunData => markSetup();
export const teardown = (): void => markTeardown();
export const load = (data: RunData): void => void activity(data);
export const probe = (data: RunData): void => probeOnce(data);
export const order = (data: RunData): void => orderLifecycle(data);
export const task = (data: RunData): void => taskLifecycle(data);
export const customer = (data: RunData): void => customerLifecycle(data);
export const session = (data: RunData): void => activityMix(data);
export const handleSummary = (data: unknown) => summaryOutputs(data);
