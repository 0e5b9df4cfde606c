// Events are stored as written and upcast when read: a reader (a replay, the feed, a stream
// read, a consumer of events.committed) turns an event of an earlier schema version into the
// current one with the upcasters its domain declares, so old and new events fold alike.
import type { Domain } from "./domain.ts";
import type { EventEnvelope } from "./envelope.ts";
import { domainForEventType } from "./registry.ts";

/** The current schema version of an event type (1 for a type whose data never changed). */
export const currentSchemaVersion = (eventType: string): number =>
  (domainForEventType(eventType)?.versions?.[eventType]?.earlier.length ?? 0) + 1;

/** Data of version `from` carried through each upcaster up to the current version. */
export function upcastData(
  domain: Domain | undefined,
  eventType: string,
  data: Record<string, unknown>,
  from: number,
): Record<string, unknown> {
  const earlier = domain?.versions?.[eventType]?.earlier;
  if (!earlier) return data;
  let out = data;
  for (let version = from; version <= earlier.length; version++) out = earlier[version - 1]!.upcast(out);
  return out;
}

/**
 * The event at the current schema version of its type (an event without a version is v1).
 * An event already current is returned as it is; a version newer than this code knows is left
 * alone (a reader older than its writer).
 */
export function upcast<E extends EventEnvelope>(event: E): E {
  const from = event.schemaVersion ?? 1;
  const domain = domainForEventType(event.eventType);
  const current = (domain?.versions?.[event.eventType]?.earlier.length ?? 0) + 1;
  if (from >= current) return event.schemaVersion === undefined ? { ...event, schemaVersion: from } : event;
  return {
    ...event,
    data: upcastData(domain, event.eventType, event.data, from),
    schemaVersion: current,
  };
}
