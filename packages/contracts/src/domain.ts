// What a domain declares, in one place shared by every service: the event schemas the producer
// validates, the aggregate the event store decides with, and the notification rules.
import type { EventEnvelope, FieldProblem } from "./envelope.ts";

/** A JSON Schema (draft-07) object; kept as plain data so it can be published in AsyncAPI/OpenAPI. */
export type JSONSchema = Record<string, unknown>;

export type Decision = { accepted: true } | { accepted: false; code: string; reason: string };

export type NotificationChannel = "email" | "sms" | "push";

export type NotificationMessage = { subject: string; text: string; to?: string };

export type NotificationRule = {
  name: string;
  eventType: string;
  channels: NotificationChannel[];
  template: (event: EventEnvelope) => NotificationMessage;
};

/** Event types that are not enumerated (user activity): any type matching `pattern`. */
export type FreeFormEvents = { pattern: string; dataSchema: JSONSchema };

/** A rule over one event's data that JSON Schema cannot state (e.g. a total equal to a sum). */
export type DataInvariant = (data: Record<string, unknown>) => (FieldProblem & { code?: string }) | undefined;

/** Turns the data of one schema version of an event type into the data of the next. Pure. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * The earlier schema versions of an event type whose data changed: `earlier[0]` is version 1
 * with the upcaster from 1 to 2, and so on; the current version (in `events`) is
 * `earlier.length + 1`. An event type without history is at version 1.
 */
export type EventHistory = { earlier: { schema: JSONSchema; upcast: Upcaster }[] };

/**
 * Personal data a domain's events carry: whose it is (the data subject, e.g. the customer id)
 * and which top-level data fields are personal, per event type. The event store seals those
 * fields with the subject's key, so deleting the key erases them.
 */
export type PersonalData = {
  subjectOf: (event: { aggregateId: string; data: Record<string, unknown> }) => string | undefined;
  fields: Record<string, readonly string[]>;
  /** Event types that erase their subject: the store deletes the subject's key when it appends one. */
  erasedBy: readonly string[];
  /** The event an admin erasure of a subject records (one of `erasedBy`), in the subject's stream. */
  erasureEvent: string;
  /** The fields of the aggregate's state (and read model) that are personal, dropped on erasure. */
  stateFields: readonly string[];
};

// Method syntax on purpose: it keeps Domain<TaskState> assignable to Domain<unknown>, so the
// registry can hold every domain in one array.
export interface Domain<S = unknown> {
  name: string;
  aggregateType: string;
  events: Record<string, JSONSchema>;
  freeFormEvents?: FreeFormEvents;
  /** Stateless checks on data, run by validateEnvelope (the producer) and again by decide. */
  invariants?: Record<string, DataInvariant>;
  /** Event types whose data schema changed: their earlier versions and the upcasters. */
  versions?: Record<string, EventHistory>;
  personalData?: PersonalData;
  initial(): S;
  evolve(state: S, event: EventEnvelope): S;
  decide(state: S, event: EventEnvelope): Decision;
  notificationRules: NotificationRule[];
}

/** Stable rejection codes, usable as metric labels and in RFC 7807 bodies. */
export const rejectionCodes = {
  unknownEventType: "UNKNOWN_EVENT_TYPE",
  notFound: "AGGREGATE_NOT_FOUND",
  alreadyExists: "AGGREGATE_ALREADY_EXISTS",
  invalidTransition: "INVALID_STATE_TRANSITION",
  invalidData: "INVALID_DATA",
  unchanged: "NO_CHANGE",
  insufficientStock: "INSUFFICIENT_STOCK",
  releaseExceedsReserved: "RELEASE_EXCEEDS_RESERVED",
  emptyCart: "EMPTY_CART",
  totalMismatch: "TOTAL_MISMATCH",
  /** The stream is archived (read-only) or tombstoned (closed for good): the store takes no new events of it. */
  streamArchived: "STREAM_ARCHIVED",
  streamTombstoned: "STREAM_TOMBSTONED",
  // The event store's own, beside the domains' decisions:
  /** The client's expected version (If-Match, `expectedVersion`) is not the stream's. */
  wrongExpectedVersion: "WRONG_EXPECTED_VERSION",
  /** No domain owns the event's aggregate type. */
  unknownAggregateType: "UNKNOWN_AGGREGATE_TYPE",
  /** The record on the ingest topic is no valid envelope. */
  invalidEvent: "INVALID_EVENT",
  /** PostgreSQL refused the event for good (SQLSTATE class 22: a NUL, a lone surrogate): the reason carries the SQLSTATE, and the rest of its batch is stored. */
  unstorable: "UNSTORABLE",
} as const;

export type RejectionCode = (typeof rejectionCodes)[keyof typeof rejectionCodes];

// One shared frozen object: accepting allocates nothing on the store's hot path.
export const accepted: Decision = Object.freeze({ accepted: true as const });

export const rejected = (code: string, reason: string): Decision => ({ accepted: false, code, reason });

export const unknownEventType = (domain: string, eventType: string): Decision =>
  rejected(rejectionCodes.unknownEventType, `${eventType} is not an event of the ${domain} domain`);

/** Runs a domain's invariant for an event type, turning a problem into a rejection. */
export function checkInvariant<S>(domain: Domain<S>, event: EventEnvelope): Decision {
  const problem = domain.invariants?.[event.eventType]?.(event.data);
  if (!problem) return accepted;
  return rejected(problem.code ?? rejectionCodes.invalidData, `data${problem.field} ${problem.reason}`);
}
