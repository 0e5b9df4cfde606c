// flows: the business lifecycles side by side, RATE flow iterations per second in all (default
// 20/s), split between order (1/4), task (1/4), customer (1/4) and user-activity sessions (1/4),
// each checked in its read model at the end (flow_visible). Plus the end-to-end probe.
import {
  DURATION,
  RATE,
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

const share = Math.max(1, Math.round(RATE / 4));
const flow = (exec: string) => constantRate(exec, share, DURATION, { gracefulStop: "15s" });

export const options = baseOptions(
  {
    order: flow("order"),
    task: flow("task"),
    customer: flow("customer"),
    session: flow("session"),
    probe: probeScenario(DURATION),
  },
  { flow_failures: ["count==0"] },
);

export const setup = (): RunData => markSetup();
export const teardown = (): void => markTeardown();
export const order = (data: RunData): void => orderLifecycle(data);
export const task = (data: RunData): void => taskLifecycle(data);
export const customer = (data: RunData): void => customerLifecycle(data);
export const session = (data: RunData): void => activityMix(data);
export const probe = (data: RunData): void => probeOnce(data);
export const handleSummary = (data: unknown) => summaryOutputs(data);
