// ramp: stepped arrival rates (RAMP_START, +RAMP_STEP, ... up to RAMP_MAX, each held for
// STEP_DURATION) to find the knee: the highest rate the platform sustains within the SLOs.
// Each step is one time window (WINDOW_SECONDS = the step's length, set by the runner), so
// latency percentiles per step land in Prometheus; the runner judges each step and reports the
// knee as a number. Bounded: at most 40 steps.
import {
  MAX_VUS,
  activity,
  baseOptions,
  markSetup,
  markTeardown,
  probe as probeOnce,
  probeScenario,
  seconds,
  slo,
  summaryOutputs,
  type RunData,
} from "./lib/common.ts";

const num = (name: string, fallback: number) => {
  const v = Number(__ENV[name] ?? "");
  return __ENV[name] !== undefined && __ENV[name] !== "" && Number.isFinite(v) ? v : fallback;
};
const start = num("RAMP_START", 250);
const step = Math.max(1, num("RAMP_STEP", 250));
const max = Math.max(start, num("RAMP_MAX", 3000));
const stepSeconds = Math.max(3, seconds(__ENV.STEP_DURATION ?? "10s"));
const rates: number[] = [];
for (let r = start; r <= max && rates.length < 40; r += step) rates.push(r);

// Each step: one second to move to the new rate, then held for the rest of the step.
const stages = rates.flatMap((r) => [
  { target: r, duration: "1s" },
  { target: r, duration: `${stepSeconds - 1}s` },
]);
const total = `${rates.length * stepSeconds}s`;

// The run as a whole is judged on errors only (the steps past the knee are slow on purpose);
// latency is judged per step by the runner.
export const options = baseOptions(
  {
    ramp: {
      executor: "ramping-arrival-rate",
      exec: "load",
      startRate: start,
      timeUnit: "1s",
      stages,
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(10, Math.ceil(start / 10))),
      maxVUs: MAX_VUS,
      gracefulStop: "10s",
    },
    probe: probeScenario(total),
  },
  {},
  {
    "http_req_failed{kind:write}": [`rate<=${slo.SLO_ERROR_RATE}`],
    // Always true: only make these sub-metrics appear in the summary.
    "http_reqs{kind:write}": ["count>=0"],
    "http_req_duration{kind:write}": ["max>=0"],
  },
);

export const setup = (): RunData => {
  console.log(JSON.stringify({ mark: "steps", rates, stepSeconds }));
  return markSetup();
};
export const teardown = (): void => markTeardown();
export const load = (data: RunData): void => void activity(data);
export const probe = (data: RunData): void => probeOnce(data);
export const handleSummary = (data: unknown) => summaryOutputs(data);
