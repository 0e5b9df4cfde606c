// The event envelope (the e-commerce seed's schema) and the checks every event passes before
// it is published: shape, known event type, matching aggregate type, data schema, invariants.
import { randomUUID } from "node:crypto";
import { checkEventData, checkEnvelopeShape } from "./schemas.ts";
import { storedEventType } from "./aliases.ts";
import { domainForEventType } from "./registry.ts";

export type EventMetadata = {
  correlationId: string;
  causationId?: string | null;
  userId?: string | null;
  source: string;
  traceparent?: string;
  tracestate?: string;
  /** When the producer accepted the event (the client's `timestamp` is its own event time). */
  acceptedAt?: string;
  /** `sha256:<hex>` of the payload the client sent: the same id with another payload is refused. */
  payloadHash?: string;
};

export type EventEnvelope<D = Record<string, unknown>> = {
  eventId: string;
  eventType: string;
  aggregateId: string;
  aggregateType: string;
  /** ISO 8601 date-time. */
  timestamp: string;
  /** Expected stream version when sent by a client; the stream version once committed. */
  version?: number;
  data: D;
  metadata: EventMetadata;
};

export type CommittedEvent<D = Record<string, unknown>> = EventEnvelope<D> & {
  version: number;
  /** Global position, a bigint written as a decimal string. */
  position: string;
  storedAt: string;
};

export type FieldProblem = { field: string; reason: string };

export type RejectedEvent = {
  event: EventEnvelope;
  reason: string;
  code: string;
  rejectedAt: string;
  problems?: FieldProblem[];
};

/** What a client may send: the producer fills in the rest with normalizeEnvelope. */
export type EnvelopeInput = Omit<EventEnvelope, "eventId" | "timestamp" | "data" | "metadata"> & {
  eventId?: string;
  timestamp?: string;
  data?: Record<string, unknown>;
  metadata?: Partial<EventMetadata> & Record<string, unknown>;
};

export type EnvelopeValidation =
  { ok: true; envelope: EnvelopeInput } | { ok: false; problems: FieldProblem[] };

export const isCommittedEvent = (event: EventEnvelope): event is CommittedEvent =>
  typeof (event as Partial<CommittedEvent>).position === "string";

const emptyData: Record<string, unknown> = Object.freeze({});

/** Checks an incoming envelope; every problem names its field as a JSON pointer. */
export function validateEnvelope(input: unknown): EnvelopeValidation {
  // Problem arrays are only created on failure: the valid path allocates just the result.
  let problems = checkEnvelopeShape(input);
  if (!isObject(input)) return { ok: false, problems: problems ?? [] };
  const envelope = input as EnvelopeInput;
  if (typeof envelope.eventType === "string" && envelope.eventType.length > 0) {
    const eventType = storedEventType(envelope.eventType);
    const domain = domainForEventType(eventType);
    if (!domain) {
      problems = add(problems, "/eventType", `unknown event type "${envelope.eventType}"`);
    } else {
      if (typeof envelope.aggregateType === "string" && envelope.aggregateType !== domain.aggregateType) {
        const reason = `must be "${domain.aggregateType}" for event type ${envelope.eventType}`;
        problems = add(problems, "/aggregateType", reason);
      }
      // A missing data object is checked as {} so required data fields are reported by name;
      // data that is not an object at all was already reported by the shape check.
      const data = envelope.data === undefined ? emptyData : envelope.data;
      if (isObject(data)) {
        const dataProblems = checkEventData(domain, eventType, data);
        if (dataProblems) problems = problems ? problems.concat(dataProblems) : dataProblems;
      }
    }
  }
  return problems ? { ok: false, problems } : { ok: true, envelope };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function add(problems: FieldProblem[] | undefined, field: string, reason: string): FieldProblem[] {
  const list = problems ?? [];
  list.push({ field, reason });
  return list;
}

export type NormalizeOptions = {
  now?: () => string;
  newId?: () => string;
  /** metadata.source when the client did not name one. */
  source?: string;
};

/**
 * Stamps an accepted input into a full envelope; unknown top-level fields are dropped and an
 * aliased event type (aliases.ts) becomes its stored name.
 */
export function normalizeEnvelope(input: EnvelopeInput, options: NormalizeOptions = {}): EventEnvelope {
  const eventId = input.eventId ?? (options.newId ?? randomUUID)();
  const metadata = input.metadata;
  const envelope: EventEnvelope = {
    eventId,
    eventType: storedEventType(input.eventType),
    aggregateId: input.aggregateId,
    aggregateType: input.aggregateType,
    timestamp: input.timestamp ?? (options.now ? options.now() : new Date().toISOString()),
    data: input.data ?? {},
    metadata: {
      ...metadata,
      correlationId: metadata?.correlationId ?? eventId,
      source: metadata?.source ?? options.source ?? "eventscope",
    },
  };
  if (input.version !== undefined) envelope.version = input.version;
  return envelope;
}
