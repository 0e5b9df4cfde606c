// spike: a base rate, a sudden burst, back to the base rate: errors, losses, the lag the burst
// leaves and how fast it drains. BASE_RATE (default 200/s), SPIKE_RATE (default 2000/s),
// SPIKE_HOLD (default 10s); about 45 seconds in all.
import {
  MAX_VUS,
  activity,
  baseOptions,
  markSetup,
  markTeardown,
  probe as probeOnce,
  probeScenario,
  seconds,
  summaryOutputs,
  type RunData,
} from "./lib/common.ts";

const num = (name: string, fallback: number) => {
  const v = Number(__ENV[name] ?? "");
  return __ENV[name] !== undefined && __ENV[name] !== "" && Number.isFinite(v) ? v : fallback;
};
const base = num("BASE_RATE", 200);
const peak = num("SPIKE_RATE", 2000);
const hold = Math.max(2, seconds(__ENV.SPIKE_HOLD ?? "10s"));
const stages = [
  { target: base, duration: "10s" },
  { target: peak, duration: "2s" },
  { target: peak, duration: `${hold}s` },
  { target: base, duration: "2s" },
  { target: base, duration: "20s" },
];
const total = `${10 + 2 + hold + 2 + 20}s`;

export const options = baseOptions({
  spike: {
    executor: "ramping-arrival-rate",
    exec: "load",
    startRate: base,
    timeUnit: "1s",
    stages,
    preAllocatedVUs: Math.min(MAX_VUS, Math.max(10, Math.ceil(peak / 20))),
    maxVUs: MAX_VUS,
    gracefulStop: "10s",
  },
  probe: probeScenario(total),
});

export const setup = (): RunData => {
  console.log(JSON.stringify({ mark: "spike", base, peak, spikeAt: 10, spikeEnd: 10 + 2 + hold + 2 }));
  return markSetup();
};
export const teardown = (): void => markTeardown();
export const load = (data: RunData): void => void activity(data);
export const probe = (data: RunData): void => probeOnce(data);
export const handleSummary = (data: unknown) => summaryOutputs(data);
