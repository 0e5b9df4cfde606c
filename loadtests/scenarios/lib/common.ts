// Shared by every k6 scenario: the plan (lib/model.ts, from the environment), the write helper
// that tags each request with the run and its time window, the end-to-end probe, the options and
// handleSummary. Runs inside k6 (not Node): only k6 modules and plain TypeScript here.
import http from "k6/http";
import type { RefinedResponse, ResponseType } from "k6/http";
import { sleep } from "k6";
import { Counter, Trend } from "k6/metrics";
import type { Slo } from "./slo.ts";
import { activityBody, planFor, type ScenarioPlan } from "./model.ts";
import {
  PROBE_POLL_NAME,
  PROBE_WAIT_NAME,
  probeOutcome,
  probePause,
  probeReadPath,
  probeResult,
  probeSettled,
  traceIdOf,
  type ProbeOutcome,
  type ProbeResult,
  type ReadAfter,
} from "./probe.ts";

/**
 * What every scenario shares, from k6's environment (the runner sets RUN_ID, RATE, ...); each
 * script plans its own scenario with planFor(name, __ENV) and hands the plan to markSetup.
 */
const shared: ScenarioPlan = planFor("load", __ENV);
export const SCENARIO = __ENV.SCENARIO ?? "load";
export const plan = shared;
export const RUN_ID = plan.runId;
export const PREFIX = plan.prefix;
export const PRODUCER = plan.producer;
export const PROJECTION = plan.projection;
export const API_KEY = plan.apiKey;
export const PROBE_TIMEOUT_MS = plan.probe.timeoutMs;
export const PROBE_POLL_MS = plan.probe.pollMs;
export const SUMMARY_PATH = __ENV.SUMMARY_PATH ?? "";
export const slo: Slo = plan.slo;

export const writeHeaders = { "content-type": "application/json", "x-api-key": API_KEY };
/** Reads carry the key too: read routes may ask for the `read` scope. */
export const readHeaders = { "x-api-key": API_KEY };

/** Events the producer accepted (202): the ledger checks each is stored and projected once. */
export const eventsAccepted = new Counter("events_accepted");
/** Write requests that got no answer (timeouts) or a 504 "in doubt": their events may or may not exist. */
export const writesUnanswered = new Counter("writes_unanswered");
/** Write latency tagged with the window only (plus scenario), for percentiles over time. */
export const writeDuration = new Trend("write_duration", true);
/** The producer's acceptance stamp -> the answer that shows the event in the read model, on the probe's sample. */
export const e2eLatency = new Trend("e2e_latency", true);
export const e2eTimeouts = new Counter("e2e_timeouts");
/** For the flows: last command accepted -> the read model shows the flow's final state. */
export const flowVisible = new Trend("flow_visible", true);
export const flowFailures = new Counter("flow_failures");

export interface RunData {
  /** Epoch ms at which the scenarios started (after setup): windows count from here. */
  t0: number;
  /** The scenario's time window (a ramp's: one step). */
  windowSeconds: number;
}

export function windowOf(data: RunData | undefined, at = Date.now()): string {
  const t0 = data?.t0 ?? at;
  const w = data?.windowSeconds ?? plan.windowSeconds;
  return String(Math.max(0, Math.floor((at - t0) / (w * 1000))));
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
  else if (res.status === 0 || res.status === 504) writesUnanswered.add(1);
  return res;
}

export function read(url: string, name: string): RefinedResponse<ResponseType | undefined> {
  return http.get(url, { headers: readHeaders, tags: { kind: "read", name }, timeout: "5s" });
}

/** One user-activity event (POST /api/events) of the plan's request mix. */
export function activity(data: RunData | undefined) {
  const mix = plan.activity!.mix;
  return write("POST", mix.path, activityBody(plan, mix, Math.random(), Math.random()), mix.name, data);
}

export interface ProbeSample extends ProbeResult {
  probe: 1;
}

/**
 * The end-to-end probe (lib/probe.ts): posts one event for a user of its own, then, by default,
 * one read of the 202's `readAfter` with `waitMs`: the projection answers when its consumer has
 * applied the event (again on 503 READ_MODEL_STALE, until PROBE_TIMEOUT_MS; 404 EVENT_REJECTED
 * ends it); with PROBE_MODE=poll, the user's activity every PROBE_POLL_MS until it lists the
 * event. e2e = the answer that shows the event - the producer's acceptance stamp on it. Each
 * sample is logged as one JSON line that the runner collects (eventId and trace id for the
 * slowest-events table).
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
  const answer = jsonOf(res);
  const eventId = typeof answer?.eventId === "string" ? answer.eventId : "";
  const readAfter = answer?.readAfter as ReadAfter | undefined;
  const traceparent = res.headers["Traceparent"] ?? res.headers["traceparent"] ?? "";
  const name = plan.probe.mode === "wait" ? PROBE_WAIT_NAME : PROBE_POLL_NAME;
  let reads = 0;
  let outcome: ProbeOutcome = { kind: "again" };
  while (Date.now() - acceptedAt < PROBE_TIMEOUT_MS) {
    const left = PROBE_TIMEOUT_MS - (Date.now() - acceptedAt);
    const sentAt = Date.now();
    const r = read(PROJECTION + probeReadPath(plan.probe, userId, eventId, readAfter, left), name);
    reads++;
    outcome = probeOutcome(plan.probe.mode, r.status, jsonOf(r), eventId);
    if (probeSettled(outcome)) break;
    const pause = Math.min(
      probePause(plan.probe, Date.now() - sentAt),
      PROBE_TIMEOUT_MS - (Date.now() - acceptedAt),
    );
    if (pause > 0) sleep(pause / 1000);
  }
  const sample: ProbeSample = {
    probe: 1,
    ...probeResult({
      eventId,
      traceId: traceIdOf(traceparent),
      acceptedAt,
      visibleAt: Date.now(),
      httpMs: res.timings.duration,
      reads,
      outcome,
      timeoutMs: PROBE_TIMEOUT_MS,
    }),
  };
  e2eLatency.add(sample.e2eMs);
  if (!sample.seen) e2eTimeouts.add(1);
  console.log(JSON.stringify(sample));
}

/** An answer's JSON object, or null (no body, not JSON). */
function jsonOf(res: RefinedResponse<ResponseType | undefined>): Record<string, unknown> | null {
  if (typeof res.body !== "string" || res.body === "") return null;
  try {
    const v = JSON.parse(res.body) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Polls a read-model document until `done` holds (at most `timeoutMs`): the document, or null. */
export function pollReadModel(
  url: string,
  name: string,
  done: (doc: Record<string, unknown>) => boolean,
  timeoutMs: number,
): Record<string, unknown> | null {
  const since = Date.now();
  while (Date.now() - since < timeoutMs) {
    const r = read(url, name);
    if (r.status === 200) {
      const doc = r.json() as Record<string, unknown>;
      if (done(doc)) return doc;
    }
    sleep(0.02);
  }
  return null;
}

/** Polls a read-model document until `done` holds; records flow_visible from `since`. */
export function awaitReadModel(
  url: string,
  name: string,
  done: (doc: Record<string, unknown>) => boolean,
  since: number,
  timeoutMs = PROBE_TIMEOUT_MS,
): boolean {
  if (pollReadModel(url, name, done, timeoutMs - (Date.now() - since)) !== null) {
    flowVisible.add(Date.now() - since);
    return true;
  }
  flowFailures.add(1);
  flowVisible.add(timeoutMs);
  return false;
}

/** setup(): the time windows start here; a marker line tells the runner when the load began. */
export function markSetup(scenario: ScenarioPlan): RunData {
  if (scenario.steps) console.log(JSON.stringify({ mark: "steps", ...scenario.steps }));
  if (scenario.spike) console.log(JSON.stringify({ mark: "spike", ...scenario.spike }));
  const t0 = Date.now();
  console.log(JSON.stringify({ mark: "setup", t: t0, runId: RUN_ID }));
  return { t0, windowSeconds: scenario.windowSeconds };
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
