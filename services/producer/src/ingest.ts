import { randomUUID } from "node:crypto";
import {
  nameBasedUuid,
  normalizeEnvelope,
  toKafkaRecord,
  validateEnvelope,
  type EventEnvelope,
} from "@eventscope/contracts";
import {
  context,
  SpanKind,
  trace,
  traceHeaders,
  validationError,
  eventTypeLabel,
  ATTR_EVENT_ID,
  ATTR_EVENT_TYPE,
  ATTR_AGGREGATE_ID,
  ATTR_MESSAGING_SYSTEM,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  failSpan,
  idempotencyConflict,
  type FieldProblem,
  type Logger,
  type Publisher,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { payloadHash, type StoredLookup } from "./seen.ts";

export interface Accepted {
  eventId: string;
  aggregateId: string;
  eventType: string;
  statusUrl: string;
  duplicate: boolean;
  /** `sha256:<hex>` of the payload as sent; the stored event carries it in metadata.payloadHash. */
  payloadHash: string;
}

export interface IngestOptions {
  publisher: Publisher;
  tracer: Tracer;
  logger: Logger;
  source: string;
  eventStoreUrl: string;
  topic: string;
  /** Asks the event store what it knows of client-chosen ids (see seen.ts); none means ask nobody. */
  lookup?: StoredLookup;
}

export interface IngestRequest {
  /** Partial envelopes as the client sent them (after route mapping). */
  events: unknown[];
  /** What the client sent for each event, as hashed for idempotency (defaults to `events`). */
  payloads?: unknown[];
  /** Where a client-chosen id sits in each item, for problems: "/eventId", or "/id" for CloudEvents. */
  idField?: string;
  idempotencyKey?: string | undefined;
  principal?: string | undefined;
  expectedVersion?: number | undefined;
}

// RFC 4122 name-based id: the same Idempotency-Key (per API key) always names the same event,
// so a retried request is recognised here and, across producer restarts, by the event store.
// `part` is the event's index in the request, or the name of an id generated for it.
export const idFromKey = (principal: string, key: string, part: number | string): string =>
  nameBasedUuid(principal, key, part);

/** The expected version taken from If-Match or `expectedVersion`: nine digits at most. */
export const MAX_EXPECTED_VERSION = 999_999_999;

interface Stamped {
  envelope: EventEnvelope;
  /** The client chose the id (eventId, Idempotency-Key, CloudEvents id): it may have been seen. */
  chosen: boolean;
  /** Where the id came from, for a 409: "/eventId", "/3/id" or "Idempotency-Key". */
  idField: string;
}

export function createIngest(options: IngestOptions) {
  const { publisher, tracer, logger } = options;
  // Ids acknowledged recently, with their payload hash: a repeat answers at once and is not
  // published again; the same id with another payload is a 409.
  const recent = new Map<string, string>();
  const remember = (id: string, hash: string) => {
    recent.set(id, hash);
    if (recent.size > 100_000) recent.delete(recent.keys().next().value!);
  };

  function stamp(request: IngestRequest): Stamped[] {
    const problems: FieldProblem[] = [];
    const stamped: Stamped[] = [];
    const many = request.events.length > 1;
    const firstIndexOf = new Map<string, number>();
    // One clock reading per request: every event of it was accepted at that moment.
    const acceptedAt = new Date().toISOString();
    const stampOptions = { now: () => acceptedAt, newId: randomUUID, source: options.source };
    const idField = request.idField ?? "/eventId";
    request.events.forEach((raw, index) => {
      const prefix = many ? `/${index}` : "";
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        problems.push({ field: prefix || "/", reason: "must be a JSON object" });
        return;
      }
      const input = { ...(raw as Record<string, unknown>) };
      if (input.expectedVersion !== undefined || request.expectedVersion !== undefined) {
        const expected = input.expectedVersion ?? request.expectedVersion;
        delete input.expectedVersion;
        if (
          typeof expected !== "number" ||
          !Number.isInteger(expected) ||
          expected < 0 ||
          expected > MAX_EXPECTED_VERSION
        ) {
          problems.push({
            field: `${prefix}/expectedVersion`,
            reason: `must be an integer from 0 to ${MAX_EXPECTED_VERSION}`,
          });
          return;
        }
        input.version = expected + 1;
      }
      let chosen = input.eventId !== undefined;
      let from = `${prefix}${idField}`;
      if (input.eventId === undefined && request.idempotencyKey) {
        input.eventId = idFromKey(request.principal ?? "", request.idempotencyKey, index);
        chosen = true;
        from = "Idempotency-Key";
      }
      const result = validateEnvelope(input);
      if (!result.ok) {
        for (const p of result.problems) problems.push({ field: `${prefix}${p.field}`, reason: p.reason });
        return;
      }
      const envelope = normalizeEnvelope(result.envelope, stampOptions);
      // The schema version the data is written in travels as the record's dataschema.
      envelope.schemaVersion = result.schemaVersion;
      // When the platform accepted it, beside the client's own event time: stage latencies start here.
      envelope.metadata.acceptedAt = acceptedAt;
      envelope.metadata.payloadHash = payloadHash({
        payload: request.payloads?.[index] ?? raw,
        expectedVersion: request.expectedVersion ?? null,
      });
      const first = firstIndexOf.get(envelope.eventId);
      if (first !== undefined) {
        problems.push({ field: `${prefix}${idField}`, reason: `repeats the id of event /${first}` });
        return;
      }
      firstIndexOf.set(envelope.eventId, index);
      stamped.push({ envelope, chosen, idField: from });
    });
    if (problems.length > 0) {
      throw validationError(
        many
          ? "one or more events are invalid; none was published"
          : "the event is invalid; it was not published",
        problems,
      );
    }
    return stamped;
  }

  /** Ids seen before: here (recently) or by the event store. A different payload is a 409. */
  async function seenBefore(stamped: Stamped[]): Promise<Set<string>> {
    const seen = new Set<string>();
    const conflicts: Stamped[] = [];
    const ask: Stamped[] = [];
    for (const s of stamped) {
      const known = recent.get(s.envelope.eventId);
      if (known === undefined) {
        if (s.chosen && options.lookup) ask.push(s);
      } else if (known === s.envelope.metadata.payloadHash) seen.add(s.envelope.eventId);
      else conflicts.push(s);
    }
    if (ask.length > 0 && options.lookup) {
      const stored = await options.lookup(ask.map((s) => s.envelope.eventId));
      for (const s of ask) {
        const found = stored.get(s.envelope.eventId);
        if (found === undefined) continue;
        // Stored before payload hashes existed: the store keeps the first copy, as it always did.
        if (found.payloadHash === undefined || found.payloadHash === s.envelope.metadata.payloadHash) {
          seen.add(s.envelope.eventId);
          remember(s.envelope.eventId, s.envelope.metadata.payloadHash!);
        } else conflicts.push(s);
      }
    }
    if (conflicts.length > 0) {
      throw idempotencyConflict(
        "an id was used before with a different payload; nothing was published",
        conflicts.map((s) => ({
          field: s.idField,
          reason: `event ${s.envelope.eventId} was accepted before with a different payload`,
        })),
        { eventIds: conflicts.map((s) => s.envelope.eventId) },
      );
    }
    return seen;
  }

  async function accept(request: IngestRequest): Promise<Accepted[]> {
    const stamped = stamp(request);
    const seen = await seenBefore(stamped);
    const envelopes = stamped.map((s) => s.envelope);
    const fresh = envelopes.filter((e) => !seen.has(e.eventId));
    if (fresh.length > 0) {
      const span = tracer.startSpan(`${options.topic} publish`, {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: "kafka",
          [ATTR_MESSAGING_OPERATION_TYPE]: "send",
          [ATTR_MESSAGING_DESTINATION_NAME]: options.topic,
          [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: fresh.length,
          ...(fresh.length === 1
            ? {
                [ATTR_EVENT_ID]: fresh[0]!.eventId,
                [ATTR_EVENT_TYPE]: fresh[0]!.eventType,
                [ATTR_AGGREGATE_ID]: fresh[0]!.aggregateId,
              }
            : {}),
        },
      });
      const ctx = trace.setSpan(context.active(), span);
      const headers = traceHeaders(ctx);
      try {
        const records = fresh.map((e) => {
          e.metadata.traceparent = headers.traceparent;
          if (headers.tracestate) e.metadata.tracestate = headers.tracestate;
          return toKafkaRecord(e);
        });
        await context.with(ctx, () => publisher.publish(options.topic, records, fresh.map(eventTypeLabel)));
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
      // The debug line's object is built only when debug lines are written.
      const debug = logger.isLevelEnabled("debug");
      for (const e of fresh) {
        remember(e.eventId, e.metadata.payloadHash!);
        if (debug)
          logger.debug(
            { eventId: e.eventId, eventType: e.eventType, correlationId: e.metadata.correlationId },
            "event accepted",
          );
      }
    }
    return envelopes.map((e) => ({
      eventId: e.eventId,
      aggregateId: e.aggregateId,
      eventType: e.eventType,
      statusUrl: `${options.eventStoreUrl}/api/eventstore/events/${e.eventId}`,
      duplicate: seen.has(e.eventId),
      payloadHash: e.metadata.payloadHash!,
    }));
  }

  return { accept, stamp };
}

export type Ingest = ReturnType<typeof createIngest>;
