// Which personal data an event carries, as its domain declares it (Domain.personalData): the
// event store seals those fields with the subject's key and deletes the key on erasure; read
// models drop the subject's personal state when they meet an erasing event.
import type { Domain } from "./domain.ts";
import type { EventEnvelope } from "./envelope.ts";
import { domainForEventType, domains } from "./registry.ts";

/** What an erased personal field reads as, in every event served after its key was deleted. */
export const erasedValue = "[erased]";

/** The data subject and the personal fields present in an event's data, or undefined (none). */
export function personalFieldsOf(
  event: Pick<EventEnvelope, "eventType" | "aggregateId" | "data">,
): { subject: string; fields: string[] } | undefined {
  const personal = domainForEventType(event.eventType)?.personalData;
  const declared = personal?.fields[event.eventType];
  if (!personal || !declared) return undefined;
  const fields = declared.filter((field) => event.data[field] !== undefined && event.data[field] !== null);
  if (fields.length === 0) return undefined;
  const subject = personal.subjectOf(event);
  return subject === undefined ? undefined : { subject, fields };
}

/** The subject an event erases (a customer's deletion or erasure), or undefined. */
export function subjectErasedBy(
  event: Pick<EventEnvelope, "eventType" | "aggregateId" | "data">,
): string | undefined {
  const personal = domainForEventType(event.eventType)?.personalData;
  return personal?.erasedBy.includes(event.eventType) ? personal.subjectOf(event) : undefined;
}

/** Domains whose events carry personal data, e.g. to find a subject's streams. */
export const domainsWithPersonalData = (): Domain[] =>
  domains.filter((domain) => domain.personalData !== undefined);

/** A state (or read-model document) with the domain's personal state fields set to null. */
export function withoutPersonalState<S>(domain: Domain<S>, state: S): S {
  const fields = domain.personalData?.stateFields;
  if (!fields || state === null || typeof state !== "object") return state;
  const out = { ...state } as Record<string, unknown>;
  for (const field of fields) if (field in out) out[field] = null;
  return out as S;
}
