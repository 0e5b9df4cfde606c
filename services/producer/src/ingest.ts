import { createHash, randomUUID } from "node:crypto";
import {
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
  type FieldProblem,
  type Logger,
  type Publisher,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";

export interface Accepted {
  eventId: string;
  aggregateId: string;
  eventType: string;
  statusUrl: string;
  duplicate: boolean;
}

export interface IngestOptions {
  publisher: Publisher;
  tracer: Tracer;
  logger: Logger;
  source: string;
  eventStoreUrl: string;
  topic: string;
}

export interface IngestRequest {
  /** Partial envelopes as the client sent them (after route mapping). */
  events: unknown[];
  idempotencyKey?: string | undefined;
  principal?: string | undefined;
  expectedVersion?: number | undefined;
}

// RFC 4122 name-based id: the same Idempotency-Key (per API key) always names the same event,
// so a retried request is recognised here and, across producer restarts, by the event store.
function idFromKey(principal: string, key: string, index: number): string {
  const h = createHash("sha1").update(`${principal}\0${key}\0${index}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const now = (): string => new Date().toISOString();

export function createIngest(options: IngestOptions) {
  const { publisher, tracer, logger } = options;
  // Ids acknowledged recently: a repeat answers at once and is not published again.
  const recent = new Map<string, true>();
  const remember = (id: string) => {
    recent.set(id, true);
    if (recent.size > 100_000) recent.delete(recent.keys().next().value!);
  };

  function stamp(request: IngestRequest): EventEnvelope[] {
    const problems: FieldProblem[] = [];
    const envelopes: EventEnvelope[] = [];
    const many = request.events.length > 1;
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
        if (typeof expected !== "number" || !Number.isInteger(expected) || expected < 0) {
          problems.push({ field: `${prefix}/expectedVersion`, reason: "must be a non-negative integer" });
          return;
        }
        input.version = expected + 1;
      }
      if (input.eventId === undefined && request.idempotencyKey) {
        input.eventId = idFromKey(request.principal ?? "", request.idempotencyKey, index);
      }
      const result = validateEnvelope(input);
      if (!result.ok) {
        for (const p of result.problems) problems.push({ field: `${prefix}${p.field}`, reason: p.reason });
        return;
      }
      const envelope = normalizeEnvelope(result.envelope, { now, newId: randomUUID, source: options.source });
      // When the platform accepted it, beside the client's own event time: stage latencies start here.
      envelope.metadata.acceptedAt = now();
      envelopes.push(envelope);
    });
    if (problems.length > 0) {
      throw validationError(
        many
          ? "one or more events are invalid; none was published"
          : "the event is invalid; it was not published",
        problems,
      );
    }
    return envelopes;
  }

  async function accept(request: IngestRequest): Promise<Accepted[]> {
    const envelopes = stamp(request);
    const fresh = envelopes.filter((e) => !recent.has(e.eventId));
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
      for (const e of fresh) {
        remember(e.eventId);
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
      duplicate: !fresh.includes(e),
    }));
  }

  return { accept, stamp };
}

export type Ingest = ReturnType<typeof createIngest>;
