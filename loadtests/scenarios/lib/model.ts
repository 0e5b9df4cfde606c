/**
 * The scenarios as data, declared once: arrival-rate stages, the request mix, the business flows
 * (ordered steps, ids captured from the answers, the final state to find in the read model), the
 * end-to-end probe and the SLO thresholds. Two engines run a plan: the k6 scripts next to this
 * file (for people who bring their own k6) and the native engine of the runner (vegeta for the
 * request mix, an undici flow driver for the flows and the probe). Plain TypeScript only: k6
 * and Node both import it, so nothing here may touch a runtime's modules.
 */
import { sloFor, type Slo } from "./slo.ts";
import { businessFlows, type FlowName } from "./flow-specs.ts";
import { probeModeOf, type ProbeMode } from "./probe.ts";

export type ScenarioName = "smoke" | "load" | "ramp" | "spike" | "soak" | "flows" | "checkout";
export const scenarioNames: ScenarioName[] = ["smoke", "load", "ramp", "spike", "soak", "flows", "checkout"];

export type Env = Record<string, string | undefined>;

/** One arrival-rate stage, k6's ramping semantics: linear from the previous target to `target`. */
export interface Stage {
  target: number;
  seconds: number;
}

/** Open-model arrivals: `startRate` per second, then each stage in turn. */
export interface Arrival {
  startRate: number;
  stages: Stage[];
}

/** The user-activity events (POST /api/events), the seed's {userId, eventType, metadata}. */
export interface RequestMix {
  name: string;
  method: "POST";
  path: string;
  /** Drawn uniformly: repeats weight a type. */
  eventTypes: string[];
  users: number;
}

export interface FlowLoad {
  flow: FlowName;
  /** Flows started per second (open model); absent with `once`. */
  arrival: Arrival | null;
  /** One flow at the start (smoke). */
  once: boolean;
  /** How long a flow may take after the load's end before it is abandoned. */
  graceSeconds: number;
  /** Longest wait, ms, for each read-model state the flow looks for (then the flow has failed). */
  awaitMs: number;
}

export interface ProbePlan {
  rate: number;
  seconds: number;
  /** A probe's deadline after its 202 (PROBE_TIMEOUT_MS): never seen by then, it counts as this. */
  timeoutMs: number;
  /** `wait` (one read that waits for the event, the default) or `poll` (PROBE_MODE; lib/probe.ts). */
  mode: ProbeMode;
  /** `wait`: how long each read asks the projection to wait (PROBE_WAIT_MS, <= its READ_WAIT_MAX_MS). */
  waitMs: number;
  /** `poll`: the pause between two reads (PROBE_POLL_MS). */
  pollMs: number;
}

export type ThresholdMetric =
  "http_req_duration{kind:write}" | "http_req_failed{kind:write}" | "e2e_latency" | "flow_failures";

/** A threshold both engines judge: `stat op limit` on a metric, written k6's way in reports. */
export interface ThresholdSpec {
  metric: ThresholdMetric;
  stat: "p(95)" | "p(99)" | "rate" | "count";
  op: "<=" | "==";
  limit: number;
}

export interface ScenarioPlan {
  scenario: ScenarioName;
  runId: string;
  /** Every aggregate id and user id of the run starts with this (the ledger finds them by it). */
  prefix: string;
  producer: string;
  projection: string;
  apiKey: string;
  /** Latency is also kept per time window of this length (the ramp: one step). */
  windowSeconds: number;
  /** Concurrency ceiling of one scenario: past it a request or flow is dropped (counted). */
  maxInFlight: number;
  activity: { mix: RequestMix; arrival: Arrival } | null;
  flows: FlowLoad[];
  probe: ProbePlan;
  thresholds: ThresholdSpec[];
  /** ramp: the step rates (each step judged for the knee); spike: where the burst is. */
  steps: { rates: number[]; stepSeconds: number } | null;
  spike: { base: number; peak: number; spikeAt: number; spikeEnd: number } | null;
  slo: Slo;
  /** Seconds of load (the longest arrival). */
  seconds: number;
  /**
   * checkout: the process manager whose orders the ledger follows to their final state
   * (GET /api/processes/order:<id>), and the share of flows whose payment fails.
   */
  processManager: string | null;
  declinedShare: number | null;
}

const str = (env: Env, name: string, fallback: string): string => {
  const v = env[name];
  return v === undefined || v === "" ? fallback : v;
};
const num = (env: Env, name: string, fallback: number): number => {
  const v = Number(str(env, name, String(fallback)));
  return Number.isFinite(v) ? v : fallback;
};

/** Parses k6-style durations ("90s", "2m", "1m30s", "500ms") into seconds. */
export function seconds(duration: string): number {
  let total = 0;
  let matched = false;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(duration)) !== null) {
    matched = true;
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "s" ? n : m[2] === "m" ? n * 60 : n * 3600;
  }
  if (!matched && Number.isFinite(Number(duration))) return Number(duration);
  return total;
}

/** A constant rate for `secs`: one stage. */
export const constant = (rate: number, secs: number): Arrival => ({
  startRate: rate,
  stages: [{ target: rate, seconds: secs }],
});

export const arrivalSeconds = (a: Arrival): number => a.stages.reduce((s, x) => s + x.seconds, 0);

/** Arrivals a stage brings: the integral of its linear rate. */
export function stageArrivals(from: number, stage: Stage): number {
  return ((from + stage.target) / 2) * stage.seconds;
}

export const activityMix = (users: number): RequestMix => ({
  name: "POST /api/events",
  method: "POST",
  path: "/api/events",
  eventTypes: ["page_view", "page_view", "page_view", "click", "search", "add_to_cart", "login"],
  users,
});

/** One user-activity event body; `pick` in [0, 1) chooses the user and the type. */
export function activityBody(plan: ScenarioPlan, mix: RequestMix, pickUser: number, pickType: number) {
  const user = Math.floor(pickUser * mix.users);
  const eventType = mix.eventTypes[Math.floor(pickType * mix.eventTypes.length)]!;
  return {
    userId: `${plan.prefix}u${user}`,
    eventType,
    metadata: { page: `/products/${user % 97}`, source: "loadtest", run: plan.runId },
  };
}

/** Thresholds every run carries (the runner adds lag, drain, the ledger and the offered rate). */
export function runThresholds(slo: Slo): ThresholdSpec[] {
  return [
    { metric: "http_req_duration{kind:write}", stat: "p(95)", op: "<=", limit: slo.SLO_HTTP_P95_MS },
    { metric: "http_req_duration{kind:write}", stat: "p(99)", op: "<=", limit: slo.SLO_HTTP_P99_MS },
    { metric: "http_req_failed{kind:write}", stat: "rate", op: "<=", limit: slo.SLO_ERROR_RATE },
    { metric: "e2e_latency", stat: "p(99)", op: "<=", limit: slo.SLO_E2E_P99_MS },
  ];
}

const flowFailuresZero: ThresholdSpec = { metric: "flow_failures", stat: "count", op: "==", limit: 0 };

/** The plan of one scenario from its knobs (the environment of k6, or the runner's options). */
export function planFor(scenario: ScenarioName, env: Env): ScenarioPlan {
  const slo = sloFor(scenario, env);
  const runId = str(env, "RUN_ID", `adhoc-${Date.now().toString(36)}`);
  const rate = num(env, "RATE", 200);
  const duration = Math.max(1, seconds(str(env, "DURATION", "30s")));
  const users = Math.max(1, num(env, "USERS", 1000));
  const mix = activityMix(users);
  const probeRate = num(env, "PROBE_RATE", 5);
  const probeMode = probeModeOf(env.PROBE_MODE);
  const base: Omit<ScenarioPlan, "activity" | "flows" | "probe" | "thresholds" | "seconds"> = {
    scenario,
    runId,
    prefix: `load-${runId}-`,
    producer: str(env, "PRODUCER_URL", "http://127.0.0.1:8081"),
    projection: str(env, "PROJECTION_URL", "http://127.0.0.1:8083"),
    apiKey: str(env, "API_KEY", "eventscope-demo-key"),
    windowSeconds: Math.max(1, num(env, "WINDOW_SECONDS", 5)),
    maxInFlight: Math.max(10, num(env, "MAX_VUS", 400)),
    steps: null,
    spike: null,
    slo,
    processManager: null,
    declinedShare: null,
  };
  const probe = (secs: number): ProbePlan => ({
    rate: probeRate,
    seconds: secs,
    timeoutMs: num(env, "PROBE_TIMEOUT_MS", 10_000),
    mode: probeMode,
    waitMs: Math.max(0, num(env, "PROBE_WAIT_MS", 2000)),
    pollMs: num(env, "PROBE_POLL_MS", 5),
  });
  const flowsAt = (arrival: Arrival | null, graceSeconds: number): FlowLoad[] =>
    businessFlows.map((flow) => ({
      flow,
      arrival,
      once: arrival === null,
      graceSeconds,
      awaitMs: num(env, "PROBE_TIMEOUT_MS", 10_000),
    }));
  const done = (p: Omit<ScenarioPlan, "seconds">): ScenarioPlan => ({
    ...p,
    seconds: Math.max(
      p.probe.seconds,
      p.activity ? arrivalSeconds(p.activity.arrival) : 0,
      ...p.flows.map((f) => (f.arrival ? arrivalSeconds(f.arrival) : 0)),
    ),
  });

  switch (scenario) {
    case "smoke":
      return done({
        ...base,
        activity: { mix, arrival: constant(Math.min(rate, 20), duration) },
        flows: flowsAt(null, 30),
        probe: probe(duration),
        thresholds: [...runThresholds(slo), flowFailuresZero],
      });
    case "load":
    case "soak": {
      const secs = scenario === "soak" ? Math.min(3600, Math.max(10, duration)) : duration;
      return done({
        ...base,
        activity: { mix, arrival: constant(rate, secs) },
        flows: [],
        probe: probe(secs),
        thresholds: runThresholds(slo),
      });
    }
    case "flows": {
      const share = Math.max(1, Math.round(rate / 4));
      return done({
        ...base,
        activity: null,
        flows: flowsAt(constant(share, duration), 15),
        probe: probe(duration),
        thresholds: [...runThresholds(slo), flowFailuresZero],
      });
    }
    case "checkout": {
      // Orders through checkout only, at a modest rate: RATE flows per second in all (default 4),
      // DECLINED_SHARE of them (default 0.25, whole flows per second, at least one of each) with
      // a payment that fails. Each flow waits up to FLOW_AWAIT_MS for the payment the process
      // manager initiates, then as long for the order's final state.
      const total = Math.max(2, Math.round(rate));
      const share = Math.min(1, Math.max(0, num(env, "DECLINED_SHARE", 0.25)));
      const declined = Math.min(total - 1, Math.max(1, Math.round(total * share)));
      const awaitMs = Math.max(1000, num(env, "FLOW_AWAIT_MS", 30_000));
      const graceSeconds = Math.ceil((2 * awaitMs) / 1000) + 10;
      const flow = (name: FlowName, perSecond: number): FlowLoad => ({
        flow: name,
        arrival: constant(perSecond, duration),
        once: false,
        graceSeconds,
        awaitMs,
      });
      return done({
        ...base,
        processManager: str(env, "PROCESS_MANAGER_URL", "http://127.0.0.1:8086"),
        declinedShare: declined / total,
        activity: null,
        flows: [flow("checkout", total - declined), flow("checkout-declined", declined)],
        probe: probe(duration),
        thresholds: [...runThresholds(slo), flowFailuresZero],
      });
    }
    case "ramp": {
      const start = num(env, "RAMP_START", 250);
      const step = Math.max(1, num(env, "RAMP_STEP", 250));
      const max = Math.max(start, num(env, "RAMP_MAX", 3000));
      const stepSeconds = Math.max(3, seconds(str(env, "STEP_DURATION", "10s")));
      const rates: number[] = [];
      for (let r = start; r <= max && rates.length < 40; r += step) rates.push(r);
      // Each step: one second to move to the new rate, then held for the rest of the step.
      const stages = rates.flatMap((r) => [
        { target: r, seconds: 1 },
        { target: r, seconds: stepSeconds - 1 },
      ]);
      return done({
        ...base,
        windowSeconds: stepSeconds,
        steps: { rates, stepSeconds },
        activity: { mix, arrival: { startRate: start, stages } },
        flows: [],
        probe: probe(rates.length * stepSeconds),
        // The run as a whole is judged on errors only (the steps past the knee are slow on
        // purpose); latency is judged per step by the runner.
        thresholds: [
          { metric: "http_req_failed{kind:write}", stat: "rate", op: "<=", limit: slo.SLO_ERROR_RATE },
        ],
      });
    }
    case "spike": {
      const low = num(env, "BASE_RATE", 200);
      const peak = num(env, "SPIKE_RATE", 2000);
      const hold = Math.max(2, seconds(str(env, "SPIKE_HOLD", "10s")));
      // The base rate before the burst and after it (the time the lag gets to drain).
      const lead = Math.max(1, seconds(str(env, "SPIKE_LEAD", "10s")));
      const tail = Math.max(1, seconds(str(env, "SPIKE_TAIL", "20s")));
      const stages = [
        { target: low, seconds: lead },
        { target: peak, seconds: 2 },
        { target: peak, seconds: hold },
        { target: low, seconds: 2 },
        { target: low, seconds: tail },
      ];
      return done({
        ...base,
        spike: { base: low, peak, spikeAt: lead, spikeEnd: lead + 2 + hold + 2 },
        activity: { mix, arrival: { startRate: low, stages } },
        flows: [],
        probe: probe(lead + 2 + hold + 2 + tail),
        thresholds: runThresholds(slo),
      });
    }
  }
}

/** The rule as k6 writes it ("p(99)<=15"): the same text in either engine's report. */
export const ruleText = (t: ThresholdSpec): string => `${t.stat}${t.op}${t.limit}`;
