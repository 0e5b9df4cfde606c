// The read routes' consistency parameters: afterEventId (the id a write's 202 answered),
// minPosition (a global position, e.g. from the event's status), waitMs (how long to wait, up
// to READ_WAIT_MAX_MS) and asOf (a document as of a time, from the store). Strict: anything
// else is a 400 naming the parameter.
import { dateTimeParam, intParam, unavailable, validationError, type Handler } from "@eventscope/platform";
import type { Freshness, FreshnessTarget } from "./freshness.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_BIGINT = 9_223_372_036_854_775_807n;
/** The most writes one read waits for (a client's session of writes, e.g. an order and its payment). */
const MAX_EVENTS = 20;

export function freshnessParams(query: URLSearchParams, maxWaitMs: number) {
  const raw = query.get("afterEventId") || undefined;
  const afterEventIds = raw === undefined ? [] : [...new Set(raw.split(","))];
  if (afterEventIds.length > MAX_EVENTS || afterEventIds.some((id) => !UUID.test(id)))
    throw validationError("invalid afterEventId", [
      {
        field: "afterEventId",
        reason: `must be the eventId a write answered (a UUID), or up to ${MAX_EVENTS} of them comma-separated`,
      },
    ]);
  const minPosition = query.get("minPosition") || undefined;
  if (
    minPosition !== undefined &&
    (!/^\d{1,19}$/.test(minPosition) || BigInt(minPosition) < 1n || BigInt(minPosition) > MAX_BIGINT)
  )
    throw validationError("invalid minPosition", [
      { field: "minPosition", reason: "must be a global position: an integer from 1" },
    ]);
  const waitMs = intParam(query, "waitMs", { fallback: maxWaitMs, min: 0, max: maxWaitMs });
  const named = afterEventIds.length > 0 || minPosition !== undefined;
  if (!named && query.get("waitMs"))
    throw validationError("waitMs without a write to wait for", [
      { field: "waitMs", reason: "only with afterEventId or minPosition" },
    ]);
  if (named && query.get("asOf"))
    throw validationError("asOf reads the store, not the read model: there is no write to wait for", [
      { field: "asOf", reason: "cannot be combined with afterEventId or minPosition" },
    ]);
  return { afterEventIds, minPosition, waitMs, named };
}

/** asOf as an ISO time, or undefined. */
export const asOfParam = (query: URLSearchParams): string | undefined => dateTimeParam(query, "asOf");

export type FreshReads = (handler: Handler) => Handler;

/** Wraps a read route so that it first waits for the write the client names, if any. */
export function freshReads(freshness: Freshness | undefined, maxWaitMs: number): FreshReads {
  return (handler) => async (request) => {
    const p = freshnessParams(request.query, maxWaitMs);
    if (p.named) {
      if (!freshness) throw unavailable("read-your-writes is not configured on this instance", 5);
      const targets: FreshnessTarget[] = p.afterEventIds.map((afterEventId) => ({ afterEventId }));
      if (p.minPosition) targets.push({ minPosition: p.minPosition });
      await Promise.all(targets.map((t) => freshness.waitFor(t, p.waitMs)));
    }
    return handler(request);
  };
}
