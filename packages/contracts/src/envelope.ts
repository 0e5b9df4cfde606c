// The event envelope (the e-commerce seed's schema) and how an accepted input is stamped into
// one. It sits below the domains; the checks that need them are in validation.ts.
import { randomUUID } from "node:crypto";
import { storedEventType } from "./aliases.ts";

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
  /**
   * The version of the event type's data schema the data is written in (CloudEvents
   * `dataschema` .../schemas/<Type>/v<n>). Absent on input: the version the data fits, newest
   * first. Events read back are upcast to the current version.
   */
  schemaVersion?: number;
  data: D;
  metadata: EventMetadata;
};

export type CommittedEvent<D = Record<string, unknown>> = EventEnvelope<D> & {
  version: number;
  /** Global position, a bigint written as a decimal string. */
  position: string;
  storedAt: string;
  /** The events.ingest record the store consumed the event from (absent for events stored before it was kept). */
  ingest?: IngestOrigin;
};

export type IngestOrigin = { topic: string; partition: number; offset: string };

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
  | {
      ok: true;
      envelope: EnvelopeInput;
      /** The data schema version the data is written in. */ schemaVersion: number;
    }
  | { ok: false; problems: FieldProblem[] };

export const isCommittedEvent = (event: EventEnvelope): event is CommittedEvent =>
  typeof (event as Partial<CommittedEvent>).position === "string";

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
  if (input.schemaVersion !== undefined) envelope.schemaVersion = input.schemaVersion;
  return envelope;
}

/** Where the data schemas are published; a version's URI is `<base>/<Type>/v<n>`. */
export const dataSchemaBase = "https://eventscope.dev/schemas";

/** The CloudEvents `dataschema` of an event type's schema version. */
export const dataSchemaUri = (eventType: string, schemaVersion: number): string =>
  `${dataSchemaBase}/${eventType}/v${schemaVersion}`;

const versionSuffix = /\/v([1-9][0-9]{0,5})$/;

/** The schema version a `dataschema` URI names for `eventType`, or undefined when it names none. */
export function schemaVersionIn(uri: string, eventType: string): number | undefined {
  const match = versionSuffix.exec(uri);
  if (!match || uri.slice(0, match.index) !== `${dataSchemaBase}/${eventType}`) return undefined;
  return Number(match[1]);
}
