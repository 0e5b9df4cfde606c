// soak: a moderate constant rate for a long time (RATE, default 300/s; DURATION, default 10m,
// at most 60m): latency drift, lag creeping up, memory, and the ledger over many events.
import {
  RATE,
  activity,
  baseOptions,
  constantRate,
  markSetup,
  markTeardown,
  probe as probeOnce,
  probeScenario,
  seconds,
  summaryOutputs,
  type RunData,
} from "./lib/common.ts";

const duration = `${Math.min(3600, Math.max(10, seconds(__ENV.DURATION ?? "10m")))}s`;

export const options = baseOptions({
  soak: constantRate("load", RATE, duration),
  probe: probeScenario(duration),
});

export const setup = (): RunData => markSetup();
export const teardown = (): void => markTeardown();
export const load = (data: RunData): void => void activity(data);
export const probe = (data: RunData): void => probeOnce(data);
export const handleSummary = (data: unknown) => summaryOutputs(data);
