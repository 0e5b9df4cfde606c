/**
 * The end-to-end probe's reads, shared by both engines (the k6 scripts and the native flow
 * driver): which read follows a probe's 202, what its answer means, when the next read (if any)
 * goes out, and the sample a probe leaves. Plain TypeScript only: k6 and Node both import it.
 *
 * Two modes (PROBE_MODE):
 * - `wait` (the default): one read per probe. The 202's `readAfter.path` (the user's activity
 *   with `afterEventId`) plus `waitMs`: the projection holds the read until its consumer has
 *   applied the event (woken by the notification of the consumer's commit, no polling) and
 *   answers 200, or 503 READ_MODEL_STALE when the wait ran out (then the probe asks again, until
 *   its own deadline), or 404 EVENT_REJECTED (a rejected probe: no further read).
 * - `poll`: the former probe, the user's activity read every `pollMs` until the event is listed.
 */
import type { ProbePlan } from "./model.ts";

export type ProbeMode = "wait" | "poll";
export const probeModes: ProbeMode[] = ["wait", "poll"];

/** PROBE_MODE: `wait` without one; anything else but `wait` or `poll` is an error. */
export function probeModeOf(value: string | undefined): ProbeMode {
  if (value === undefined || value === "") return "wait";
  if (value === "wait" || value === "poll") return value;
  throw new Error(`PROBE_MODE must be wait or poll (got "${value}")`);
}

/** The probe's read, as its requests are named in the metrics (kind "read"). */
export const PROBE_WAIT_NAME = "GET /api/events/user/{userId}?afterEventId (probe)";
export const PROBE_POLL_NAME = "GET /api/events/user/{userId} (probe)";

/** The least time between two reads of one probe after an answer that did not settle it. */
export const PROBE_RETRY_MS = 100;

/** The 202's `readAfter`: the event to wait for and the read route of its aggregate. */
export interface ReadAfter {
  afterEventId?: unknown;
  path?: unknown;
}

/**
 * The path of a probe's next read (on the projection), `leftMs` before its deadline. In `wait`
 * mode: the 202's `readAfter.path` (the user route with `afterEventId` when the answer named
 * none) and a `waitMs` of at most the plan's and the time left; in `poll` mode: the user route.
 */
export function probeReadPath(
  probe: Pick<ProbePlan, "mode" | "waitMs">,
  userId: string,
  eventId: string,
  readAfter: ReadAfter | null | undefined,
  leftMs: number,
): string {
  const userRoute = `/api/events/user/${encodeURIComponent(userId)}`;
  if (probe.mode === "poll") return userRoute;
  const given = typeof readAfter?.path === "string" && readAfter.path.startsWith("/") ? readAfter.path : null;
  const path = given ?? `${userRoute}?afterEventId=${encodeURIComponent(eventId)}`;
  const waitMs = Math.max(0, Math.min(probe.waitMs, Math.floor(leftMs)));
  return `${path}${path.includes("?") ? "&" : "?"}waitMs=${waitMs}`;
}

/** What one read's answer says about the probe's event. */
export type ProbeOutcome =
  /** The read model shows it: the producer's stamp on it (its `timestamp`), when parsable. */
  | { kind: "seen"; stampedAt: number | null }
  /** 503 READ_MODEL_STALE: the wait ran out before the projection applied it; ask again. */
  | { kind: "stale" }
  /** 404 EVENT_REJECTED: the event store refused it; the probe ends, never seen. */
  | { kind: "rejected"; reason: string }
  /** Any other 4xx (a bad waitMs, a missing key): asking again would not help; never seen. */
  | { kind: "refused"; reason: string }
  /** Not there yet (poll), or an answer that settles nothing (no answer, 5xx): ask again. */
  | { kind: "again" };

interface ListedEvent {
  eventId?: unknown;
  timestamp?: unknown;
}

const stampOf = (e: ListedEvent): number | null => {
  const t = Date.parse(String(e.timestamp ?? ""));
  return Number.isFinite(t) ? t : null;
};

/** Reads one answer of the probe's read (`body`: its JSON, or null). */
export function probeOutcome(
  mode: ProbeMode,
  status: number,
  body: Record<string, unknown> | null,
  eventId: string,
): ProbeOutcome {
  const events = Array.isArray(body?.events) ? (body.events as ListedEvent[]) : [];
  if (mode === "poll") {
    // The probe's user has one event: the first listed, or not there yet.
    const first = events[0];
    return status === 200 && first?.eventId === eventId
      ? { kind: "seen", stampedAt: stampOf(first) }
      : { kind: "again" };
  }
  if (status === 200) {
    const mine = events.find((e) => e.eventId === eventId);
    return mine ? { kind: "seen", stampedAt: stampOf(mine) } : { kind: "again" };
  }
  const code = body?.code;
  if (status === 503 && code === "READ_MODEL_STALE") return { kind: "stale" };
  if (status === 404 && code === "EVENT_REJECTED") {
    const reason = [body?.rejectionCode, body?.reason].filter((x) => typeof x === "string" && x !== "");
    return { kind: "rejected", reason: reason.join(": ") || "rejected by the event store" };
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    const what = [code, body?.detail].filter((x) => typeof x === "string" && x !== "");
    return { kind: "refused", reason: `${status}${what.length ? ` ${what.join(": ")}` : ""}` };
  }
  return { kind: "again" };
}

/**
 * How long to pause before the next read, `sinceReadMs` after the last one was sent: `pollMs` in
 * `poll` mode; in `wait` mode none after a wait that ran its course, else what is left of
 * PROBE_RETRY_MS (an answer that came back at once is not asked again in a tight loop).
 */
export function probePause(probe: Pick<ProbePlan, "mode" | "pollMs">, sinceReadMs: number): number {
  if (probe.mode === "poll") return probe.pollMs;
  return Math.max(0, PROBE_RETRY_MS - sinceReadMs);
}

/** A probe's figures once its reads are over. */
export interface ProbeResult {
  eventId: string;
  traceId: string | null;
  /** The 202's arrival (the engine's clock). */
  acceptedAt: number;
  /** The producer's stamp on the envelope (its `timestamp`), when the read model showed it. */
  stampedAt: number | null;
  /** When the answer that showed the event arrived (or the reads ended). */
  visibleAt: number;
  /** visibleAt - stampedAt (or - acceptedAt without a stamp); the deadline when never seen. */
  e2eMs: number;
  /** visibleAt - acceptedAt; the deadline when never seen. */
  afterAckMs: number;
  httpMs: number;
  seen: boolean;
  /** Reads of the read model the probe made (one per probe in `wait` mode, unless stale). */
  polls: number;
  /** The event store refused the event (404 EVENT_REJECTED): never seen, with its reason. */
  rejected?: string;
  /** The projection refused the read (a 4xx but EVENT_REJECTED): never seen, with its answer. */
  refused?: string;
}

/**
 * e2e = the answer that shows the event minus the producer's acceptance stamp on it (same host
 * clock). Measured from the 202's arrival instead, a slow HTTP answer would hide the pipeline's
 * time. A probe never seen (deadline, or rejected) counts as the deadline.
 */
export function probeResult(input: {
  eventId: string;
  traceId: string | null;
  acceptedAt: number;
  visibleAt: number;
  httpMs: number;
  reads: number;
  outcome: ProbeOutcome;
  timeoutMs: number;
}): ProbeResult {
  const { outcome, acceptedAt, visibleAt, timeoutMs } = input;
  const seen = outcome.kind === "seen";
  const stampedAt = outcome.kind === "seen" ? outcome.stampedAt : null;
  return {
    eventId: input.eventId,
    traceId: input.traceId,
    acceptedAt,
    stampedAt,
    visibleAt,
    e2eMs: seen ? visibleAt - (stampedAt ?? acceptedAt) : timeoutMs,
    afterAckMs: seen ? visibleAt - acceptedAt : timeoutMs,
    httpMs: input.httpMs,
    seen,
    polls: input.reads,
    ...(outcome.kind === "rejected" ? { rejected: outcome.reason } : {}),
    ...(outcome.kind === "refused" ? { refused: outcome.reason } : {}),
  };
}

/** Whether an answer ends the probe's reads. */
export const probeSettled = (o: ProbeOutcome): boolean =>
  o.kind === "seen" || o.kind === "rejected" || o.kind === "refused";

/** The run's warnings about its probes: events the store refused, reads the projection refused. */
export function probeWarnings(probes: Pick<ProbeResult, "rejected" | "refused">[]): string[] {
  const out: string[] = [];
  for (const field of ["rejected", "refused"] as const) {
    const why = new Map<string, number>();
    for (const p of probes) {
      const r = p[field];
      if (r !== undefined) why.set(r, (why.get(r) ?? 0) + 1);
    }
    for (const [reason, n] of why)
      out.push(
        field === "rejected"
          ? `probe: ${n} event${n === 1 ? "" : "s"} rejected by the event store (${reason}): counted as never seen`
          : `probe: ${n} read${n === 1 ? "" : "s"} refused by the projection (${reason}): counted as never seen`,
      );
  }
  return out;
}

/** The trace id of a `traceparent` header, or null. */
export const traceIdOf = (traceparent: string): string | null =>
  /^[\da-f]{2}-([\da-f]{32})-/.exec(traceparent)?.[1] ?? null;

/** The report's note on how end-to-end was measured, for the probe's mode. */
export function e2eNote(probe: Pick<ProbePlan, "mode" | "waitMs" | "pollMs">): string {
  if (probe.mode === "poll")
    return `End-to-end = the answer of the probe's poll that first shows the event minus the producer's acceptance stamp on it (the envelope's timestamp; same host clock): an upper bound, within one ${probe.pollMs} ms poll interval plus one poll's round trip (PROBE_MODE=poll).`;
  return (
    "End-to-end = the arrival of the probe's read that shows the event minus the producer's acceptance stamp on it (the envelope's timestamp; same host clock). " +
    `The read is the 202's readAfter with waitMs=${probe.waitMs} (asked again on READ_MODEL_STALE): the projection holds it until its consumer has applied the event and answers when that commit's notification wakes it, one read per probe. ` +
    "An upper bound, by the notification after the consumer's commit, the read's own query and one round trip (no poll interval); " +
    "while the event store has not stored the event yet the projection asks it again after 10, 20, 40 ... up to 200 ms, so an event applied before that question is answered at it."
  );
}
