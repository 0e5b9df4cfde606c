// Shared by every k6 scenario: configuration from the environment, the write helper that tags
// each request with the run and its time window, the end-to-end probe, the thresholds and
// handleSummary. Runs inside k6 (not Node): only k6 modules and plain TypeScript here.
import http from "k6/http";
import type { RefinedResponse, ResponseType } from "k6/http";
import { sleep } from "k6";
import { Counter, Trend } from "k6/metrics";
import { sloFor, type Slo } from "./slo.ts";

const env = (name: string, fallback: string): string => {
  const v = __ENV[name];
  return v === undefined || v === "" ? fallback : v;
};
const num = (name: string, fallback: number): number => {
  const v = Number(env(name, String(fallback)));
  return Number.isFinite(v) ? v : fallback;
};

/** Parses k6-style durations ("90s", "2m", "1m30s", "500ms") into seconds. */
export function seconds(duration: string): number {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m: RegExpExecArray | null;
  let matched = false;
  while ((m = re.exec(duration)) !== null) {
    matched = true;
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "s" ? n : m[2] === "m" ? n * 60 : n * 3600;
  }
  if (!matched && Number.isFinite(Number(duration))) return Number(duration);
  return total;
}

export const SCENARIO = env("SCENARIO", "load");
export const RUN_ID = env("RUN_ID", `adhoc-${Date.now().toString(36)}`);
/** Every aggregate id and user id of the run starts with this, so the ledger can find them. */
export const PREFIX = `load-${RUN_ID}-`;
export const PRODUCER = env("PRODUCER_URL", "http://127.0.0.1:8081");
export const PROJECTION = env("PROJECTION_URL", "http://127.0.0.1:8083");
export const API_KEY = env("API_KEY", "eventscope-demo-key");
export const RATE = num("RATE", 200);
export const DURATION = env("DURATION", "30s");
export const PROBE_RATE = num("PROBE_RATE", 5);
export const PROBE_TIMEOUT_MS = num("PROBE_TIMEOUT_MS", 10_000);
export const PROBE_POLL_MS = num("PROBE_POLL_MS", 5);
/** Latency is also recorded per time window (a tag), so Prometheus holds percentiles over time. */
export const WINDOW_SECONDS = Math.max(1, num("WINDOW_SECONDS", 5));
export const USERS = Math.max(1, num("USERS", 1000));
/** Hard ceiling on VUs of one scenario: past it k6 drops iterations (counted) instead of queueing. */
export const MAX_VUS = Math.max(10, num("MAX_VUS", 400));
export const SUMMARY_PATH = env("SUMMARY_PATH", "");
export const slo: Slo = sloFor(SCENARIO, __ENV);

export const writeHeaders = { "content-type": "application/json", "x-api-key": API_KEY };

/** Events the producer accepted (202): the ledger checks each is stored and projected once. */
export const eventsAccepted = new Counter("events_accepted");
/** Write requests that got no answer (timeouts): their events may or may not exist. */
export const writesUnanswered = new Counter("writes_unanswered");
/** Write latency tagged with the window only (plus scenario), for percentiles over time. */
export const writeDuration = new Trend("write_duration", true);
/** Accepted (202 received) -> visible in the read model, on the probe's sample. */
export const e2eLatency = new Trend("e2e_latency", true);
export const e2eTimeouts = new Counter("e2e_timeouts");
/** For the flows: last command accepted -> the read model shows the flow's final state. */
export const flowVisible = new Trend("flow_visible", true);
export const flowFailures = new Counter("flow_failures");

export interface RunData {
  /** Epoch ms at which the scenarios started (after setup): windows count from here. */
  t0: number;
}

export function windowOf(data: RunData | undefined, at = Date.now()): string {
  const t0 = data?.t0 ?? at;
  return String(Math.max(0, Math.floor((at - t0) / (WINDOW_SECONDS * 1000))));
}

/** A write to the producer, tagged as such, counted as accepted on 202. */
export function write(
  method: "POST" | "PUT" | "DELETE",
  path: string,
  body: unknown,
  name: string,
  data: RunData | undefined,
): RefinedResponse<ResponseType | undefined> {
  const win = windowOf(data);
  const res = http.request(method, PRODUCER + path, body === undefined ? null : JSON.stringify(body), {
    headers: writeHeaders,
    tags: { kind: "write", name, win },
    timeout: "10s",
  });
  writeDuration.add(res.timings.duration, { win });
  if (res.status === 202) eventsAccepted.add(1);
  else if (res.status === 0) writesUnanswered.add(1);
  return res;
}

export function read(url: string, name: string): RefinedResponse<ResponseType | undefined> {
  return http.get(url, { tags: { kind: "read", name }, timeout: "5s" });
}

const activityTypes = ["page_view", "page_view", "page_view", "click", "search", "add_to_cart", "login"];

/** One user-activity event (POST /api/events), the seed's {userId, eventType, metadata}. */
export function activity(data: RunData | undefined, user = Math.floor(Math.random() * USERS)) {
  const eventType = activityTypes[Math.floor(Math.random() * activityTypes.length)]!;
  return write(
    "POST",
    "/api/events",
    {
      userId: `${PREFIX}u${user}`,
      eventType,
      metadata: { page: `/products/${user % 97}`, source: "k6", run: RUN_ID },
    },
    "POST /api/events",
    data,
  );
}

export interface ProbeSample {
  probe: 1;
  eventId: string;
  traceId: string | null;
  /** The 202's arrival (k6's clock). */
  acceptedAt: number;
  /** The producer's stamp on the envelope (its `timestamp`), when the read model showed it. */
  stampedAt: number | null;
  visibleAt: number;
  /** visibleAt - stampedAt (or - acceptedAt without a stamp). */
  e2eMs: number;
  /** visibleAt - acceptedAt. */
  afterAckMs: number;
  httpMs: number;
  seen: boolean;
  polls: number;
}

/**
 * The end-to-end probe: posts one event for a user of its own, then polls the projection's
 * query route every PROBE_POLL_MS until the event is visible. e2e = the answer of the poll that
 * shows it - the producer's acceptance stamp on the event (an upper bound, within one poll
 * interval plus one poll's round trip). Each sample is logged as one JSON line that the runner
 * collects (eventId and trace id for the slowest-events table).
 */
export function probe(data: RunData | undefined): void {
  const userId = `${PREFIX}probe-${__VU}-${__ITER}`;
  const res = write(
    "POST",
    "/api/events",
    { userId, eventType: "probe", metadata: { run: RUN_ID } },
    "POST /api/events (probe)",
    data,
  );
  if (res.status !== 202) return;
  const acceptedAt = Date.now();
  const eventId = String(res.json("eventId") ?? "");
  const traceparent = res.headers["Traceparent"] ?? res.headers["traceparent"] ?? "";
  const traceId = /^[\da-f]{2}-([\da-f]{32})-/.exec(traceparent)?.[1] ?? null;
  const url = `${PROJECTION}/api/events/user/${encodeURIComponent(userId)}`;
  let seen = false;
  let polls = 0;
  let stampedAt: number | null = null;
  while (Date.now() - acceptedAt < PROBE_TIMEOUT_MS) {
    const r = read(url, "GET /api/events/user/{userId} (probe)");
    polls++;
    // The event itself in the answer (not only the count, which is a separate query).
    if (r.status === 200 && r.json("events.0.eventId") === eventId) {
      seen = true;
      const stamp = Date.parse(String(r.json("events.0.timestamp") ?? ""));
      stampedAt = Number.isFinite(stamp) ? stamp : null;
      break;
    }
    sleep(PROBE_POLL_MS / 1000);
  }
  const visibleAt = Date.now();
  // "Accepted" is the producer's own stamp (the envelope's timestamp, same host clock): measured
  // from the 202's arrival instead, a slow HTTP answer would hide the pipeline's time.
  const e2eMs = seen ? visibleAt - (stampedAt ?? acceptedAt) : PROBE_TIMEOUT_MS;
  e2eLatency.add(e2eMs);
  if (!seen) e2eTimeouts.add(1);
  const sample: ProbeSample = {
    probe: 1,
    eventId,
    traceId,
    acceptedAt,
    stampedAt,
    visibleAt,
    e2eMs,
    afterAckMs: seen ? visibleAt - acceptedAt : PROBE_TIMEOUT_MS,
    httpMs: res.timings.duration,
    seen,
    polls,
  };
  console.log(JSON.stringify(sample));
}

/** Polls a read-model document until `done` holds; records flow_visible from `since`. */
export function awaitReadModel(
  url: string,
  name: string,
  done: (doc: Record<string, unknown>) => boolean,
  since: number,
): boolean {
  while (Date.now() - since < PROBE_TIMEOUT_MS) {
    const r = read(url, name);
    if (r.status === 200) {
      const doc = r.json() as Record<string, unknown>;
      if (done(doc)) {
        flowVisible.add(Date.now() - since);
        return true;
      }
    }
    sleep(0.02);
  }
  flowFailures.add(1);
  flowVisible.add(PROBE_TIMEOUT_MS);
  return false;
}

/** The probe as a k6 scenario: a low constant arrival rate beside the load. */
export const probeScenario = (duration: string, startTime = "0s") => ({
  executor: "constant-arrival-rate",
  exec: "probe",
  rate: PROBE_RATE,
  timeUnit: "1s",
  duration,
  startTime,
  preAllocatedVUs: Math.max(2, Math.ceil(PROBE_RATE / 2)),
  maxVUs: Math.max(10, PROBE_RATE * 4),
  gracefulStop: `${Math.ceil(PROBE_TIMEOUT_MS / 1000) + 2}s`,
});

export const constantRate = (exec: string, rate: number, duration: string, extra: object = {}) => ({
  executor: "constant-arrival-rate",
  exec,
  rate,
  timeUnit: "1s",
  duration,
  // Enough VUs up front for ~250 ms per iteration: starting VUs mid-run drops iterations.
  preAllocatedVUs: Math.min(MAX_VUS, Math.max(5, Math.ceil(rate / 4))),
  maxVUs: MAX_VUS,
  gracefulStop: "10s",
  ...extra,
});

/** Thresholds every run carries (the runner adds lag, drain and the ledger). */
export function thresholds(s: Slo = slo): Record<string, string[]> {
  return {
    "http_req_duration{kind:write}": [`p(95)<=${s.SLO_HTTP_P95_MS}`, `p(99)<=${s.SLO_HTTP_P99_MS}`],
    "http_req_failed{kind:write}": [`rate<=${s.SLO_ERROR_RATE}`],
    e2e_latency: [`p(99)<=${s.SLO_E2E_P99_MS}`],
    // Always true: only makes the write-request count appear in the summary.
    "http_reqs{kind:write}": ["count>=0"],
  };
}

export function baseOptions(
  scenarios: Record<string, object>,
  extraThresholds: Record<string, string[]> = {},
  own: Record<string, string[]> = thresholds(),
) {
  return {
    scenarios,
    thresholds: { ...own, ...extraThresholds },
    summaryTrendStats: ["avg", "min", "med", "p(90)", "p(95)", "p(99)", "max", "count"],
    // The URL is left out of the tags (ids in paths would make a series per request); requests
    // carry a `name` instead.
    systemTags: ["status", "method", "name", "scenario", "expected_response", "error_code", "check"],
    discardResponseBodies: false,
    setupTimeout: "30s",
    teardownTimeout: "30s",
  };
}

/** setup(): the time windows start here; a marker line tells the runner when the load began. */
export function markSetup(): RunData {
  const t0 = Date.now();
  console.log(JSON.stringify({ mark: "setup", t: t0, runId: RUN_ID }));
  return { t0 };
}

/** teardown(): runs once every scenario has finished, i.e. when the load has stopped. */
export function markTeardown(): void {
  console.log(JSON.stringify({ mark: "teardown", t: Date.now(), runId: RUN_ID }));
}

interface SummaryData {
  metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
}

/** A few lines for a bare `k6 run` (the runner prints its own table and report). */
function textSummary(data: SummaryData): string {
  const v = (metric: string, stat: string) => data.metrics[metric]?.values[stat];
  const ms = (x: number | undefined) => (x === undefined ? "-" : `${x.toFixed(1)} ms`);
  const lines = [
    `run ${RUN_ID} (${SCENARIO})`,
    `  writes: ${v("http_reqs{kind:write}", "count") ?? v("events_accepted", "count") ?? 0} accepted=${v("events_accepted", "count") ?? 0}` +
      ` failed=${((v("http_req_failed{kind:write}", "rate") ?? 0) * 100).toFixed(2)}%`,
    `  http p95 ${ms(v("http_req_duration{kind:write}", "p(95)"))}  p99 ${ms(v("http_req_duration{kind:write}", "p(99)"))}`,
    `  e2e  p50 ${ms(v("e2e_latency", "med"))}  p99 ${ms(v("e2e_latency", "p(99)"))}`,
  ];
  for (const [name, metric] of Object.entries(data.metrics)) {
    for (const [rule, t] of Object.entries(metric.thresholds ?? {})) {
      lines.push(`  ${t.ok ? "ok  " : "FAIL"} ${name} ${rule}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** handleSummary: the full summary as JSON for the runner, which then adds lag, ledger and report. */
export function summaryOutputs(data: unknown): Record<string, string> {
  if (SUMMARY_PATH !== "") return { [SUMMARY_PATH]: JSON.stringify(data) };
  return { stdout: textSummary(data as SummaryData) };
}
