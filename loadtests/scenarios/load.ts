// load: user-activity events at a constant arrival rate (RATE per second for DURATION), with the
// end-to-end probe beside it. `make load SCENARIO=load RATE=1000 DURATION=60s`.
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

export const options = baseOptions({
  load: constantRate("load", RATE, DURATION),
  probe: probeScenario(DURATION),
});

export const setup = (): RunData => markSetup();
export const teardown = (): void => markTeardown();
export const load = (data: RunData): void => void activity(data);
export const probe = (data: RunData): void => probeOnce(data);
export const handleSummary = (data: unknown) => summaryOutputs(data);
