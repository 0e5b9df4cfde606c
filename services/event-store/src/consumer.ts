import {
  fromKafkaRecord,
  toKafkaRecord,
  validateEnvelope,
  type CommittedEvent,
  type EventEnvelope,
} from "@eventscope/contracts";
import {
  context,
  SpanKind,
  startConsumerSpan,
  createBatchConsumer,
  eventTypeLabel,
  trace,
  traceHeaders,
  eventLog,
  ATTR_GLOBAL_POSITION,
  ATTR_STREAM_VERSION,
  ATTR_DB_SYSTEM_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_BATCH_SIZE,
  type DeadLetters,
  type Kafka,
  type LagReporter,
  type KafkaMessage,
  type Logger,
  type Metrics,
  type OutgoingRecord,
  type Pool,
  type Publisher,
  type Span,
  type TopicNames,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { decideBatch, headFrom, type Head } from "./decide.ts";
import { appendBatch, findDecided, loadStreamTails, streamIdOf } from "./store.ts";

export interface IngestConsumerDeps {
  kafka: Kafka;
  pool: Pool;
  publisher: Publisher;
  deadLetters: DeadLetters;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  groupId: string;
  snapshotEvery: number;
  maxAppendBatch: number;
  partitionsConcurrently: number;
  stateCacheSize: number;
  topics: TopicNames;
  /** Told of each batch started, for the consumer-lag monitor. */
  lag?: LagReporter;
}

interface Incoming {
  message: KafkaMessage;
  envelope: EventEnvelope;
  span: Span;
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === "23505";

/**
 * Consumes events.ingest in batches: decides each event against its aggregate, appends the
 * accepted ones in one transaction, publishes them (and the rejections) and only then lets
 * the offsets be committed. A redelivered event is found by id and republished as stored.
 */
export function createIngestConsumer(deps: IngestConsumerDeps) {
  const { pool, publisher, logger, metrics, tracer, groupId } = deps;
  const heads = new Map<string, Head>();
  const cacheHead = (streamId: string, head: Head) => {
    heads.delete(streamId);
    heads.set(streamId, head);
    if (heads.size > deps.stateCacheSize) heads.delete(heads.keys().next().value!);
  };

  async function ensureHeads(events: EventEnvelope[]): Promise<void> {
    const missing = new Map<string, string>();
    for (const e of events) {
      const id = streamIdOf(e.aggregateType, e.aggregateId);
      if (!heads.has(id)) missing.set(id, e.aggregateType);
    }
    if (missing.size === 0) return;
    const { snapshots, events: tails } = await loadStreamTails(pool, [...missing.keys()]);
    for (const [streamId, aggregateType] of missing) {
      cacheHead(streamId, headFrom(aggregateType, snapshots.get(streamId), tails.get(streamId) ?? []));
    }
  }

  function committedRecord(event: CommittedEvent, span: Span): OutgoingRecord {
    const record = toKafkaRecord(event);
    // The record continues the trace from this hop; the stored metadata keeps the original.
    const h = traceHeaders(trace.setSpan(context.active(), span));
    if (h.traceparent) record.headers.traceparent = h.traceparent;
    return record;
  }

  function rejectedRecord(envelope: EventEnvelope, code: string, reason: string, span: Span): OutgoingRecord {
    const record = committedRecord(envelope as CommittedEvent, span);
    record.headers.ce_rejectioncode = code;
    record.headers.ce_rejectionreason = reason;
    return record;
  }

  async function processChunk(topic: string, partition: number, messages: KafkaMessage[]): Promise<void> {
    const started = performance.now();
    const incoming: Incoming[] = [];
    for (const message of messages) {
      let envelope: EventEnvelope;
      try {
        envelope = fromKafkaRecord({ key: message.key, value: message.value, headers: message.headers });
      } catch (error) {
        await deps.deadLetters.park({ topic, partition, message }, `malformed: ${(error as Error).message}`);
        metrics.consumeErrors.inc({ topic, group: groupId, reason: "malformed" });
        continue;
      }
      const span = startConsumerSpan(tracer, {
        topic,
        partition,
        group: groupId,
        offset: message.offset,
        headers: message.headers,
        // Not its version yet: a client's version is only the expected one; the stored one is set below.
        event: {
          eventId: envelope.eventId,
          eventType: envelope.eventType,
          aggregateId: envelope.aggregateId,
        },
      });
      incoming.push({ message, envelope, span });
    }
    if (incoming.length === 0) return;

    const records: { committed: OutgoingRecord[]; rejected: OutgoingRecord[] } = {
      committed: [],
      rejected: [],
    };
    // Already decided (a redelivery, or a repeat inside this batch): republish as stored.
    const decided = await findDecided(pool, [...new Set(incoming.map((i) => i.envelope.eventId))]);
    const seen = new Set<string>();
    const fresh: Incoming[] = [];
    const repeats: Incoming[] = [];
    for (const item of incoming) {
      const id = item.envelope.eventId;
      if (decided.has(id) || seen.has(id)) repeats.push(item);
      else {
        seen.add(id);
        fresh.push(item);
      }
    }
    // The authority checks again what a producer may not have (any client can write to Kafka).
    const valid: Incoming[] = [];
    const invalid: { item: Incoming; reason: string }[] = [];
    for (const item of fresh) {
      const check = validateEnvelope(item.envelope);
      if (check.ok) valid.push(item);
      else invalid.push({ item, reason: check.problems.map((p) => `${p.field} ${p.reason}`).join("; ") });
    }

    let committed: CommittedEvent[];
    let decision: ReturnType<typeof decideBatch>;
    for (let attempt = 1; ; attempt++) {
      await ensureHeads(valid.map((v) => v.envelope));
      decision = decideBatch(
        valid.map((v) => v.envelope),
        (id) => heads.get(id),
        deps.snapshotEvery,
      );
      for (const { item, reason } of invalid) {
        decision.batch.rejections.push({
          envelope: item.envelope,
          streamId: streamIdOf(item.envelope.aggregateType, item.envelope.aggregateId),
          code: "INVALID_EVENT",
          reason,
        });
      }
      const dbSpan = tracer.startSpan("INSERT events", {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_DB_SYSTEM_NAME]: "postgresql",
          [ATTR_DB_OPERATION_NAME]: "INSERT",
          [ATTR_DB_COLLECTION_NAME]: "events",
          [ATTR_DB_OPERATION_BATCH_SIZE]: decision.batch.events.length,
        },
        links: incoming.slice(0, 64).map((i) => ({ context: i.span.spanContext() })),
      });
      const appendStarted = performance.now();
      try {
        committed = await appendBatch(pool, decision.batch);
        dbSpan.end();
        break;
      } catch (error) {
        dbSpan.recordException(error as Error);
        dbSpan.end();
        // A stale head (another writer got there first, e.g. around a rebalance): reload and redo.
        if (isUniqueViolation(error) && attempt < 3) {
          logger.warn({ err: error, attempt }, "append conflicted; reloading stream heads");
          for (const e of valid) heads.delete(streamIdOf(e.envelope.aggregateType, e.envelope.aggregateId));
          const again = await findDecided(
            pool,
            valid.map((v) => v.envelope.eventId),
          );
          for (const [id, outcome] of again) decided.set(id, outcome);
          for (let i = valid.length - 1; i >= 0; i--) {
            if (again.has(valid[i]!.envelope.eventId)) {
              repeats.push(valid[i]!);
              valid.splice(i, 1);
            }
          }
          continue;
        }
        throw error;
      } finally {
        const seconds = (performance.now() - appendStarted) / 1000;
        metrics.appendDuration.observe(seconds);
        metrics.appendBatchSize.observe(decision.batch.events.length);
      }
    }
    for (const [streamId, head] of decision.heads) cacheHead(streamId, head);
    for (const s of decision.batch.snapshots)
      metrics.snapshotsTaken.inc({ aggregate_type: s.aggregateType ?? "unknown" });

    const spanOf = new Map(incoming.map((i) => [i.envelope.eventId, i.span]));
    for (const event of committed) {
      const span = spanOf.get(event.eventId)!;
      span.setAttribute(ATTR_STREAM_VERSION, event.version);
      span.setAttribute(ATTR_GLOBAL_POSITION, event.position);
      records.committed.push(committedRecord(event, span));
      metrics.eventsStored.inc({ aggregate_type: event.aggregateType, event_type: eventTypeLabel(event) });
      const acceptedAt = Date.parse(event.metadata.acceptedAt ?? event.timestamp);
      metrics.stageLatency.observe({
        labels: { stage: "stored" },
        value: Math.max(0, Date.parse(event.storedAt) - acceptedAt) / 1000,
        exemplarLabels: { trace_id: span.spanContext().traceId },
      });
    }
    for (const r of decision.batch.rejections) {
      const span = spanOf.get(r.envelope.eventId)!;
      span.setAttribute("eventscope.rejection.code", r.code);
      records.rejected.push(rejectedRecord(r.envelope, r.code, r.reason, span));
      metrics.eventsRejected.inc({ aggregate_type: r.envelope.aggregateType, code: r.code });
      eventLog(logger, span, r.envelope).info({ code: r.code, reason: r.reason }, "event rejected");
    }
    for (const item of repeats) {
      const known = decided.get(item.envelope.eventId);
      if (known?.committed) records.committed.push(committedRecord(known.committed, item.span));
      else if (known?.rejected)
        records.rejected.push(
          rejectedRecord(known.rejected.envelope, known.rejected.code, known.rejected.reason, item.span),
        );
      // A repeat inside this batch of an event decided just now is covered by its first copy.
    }
    await Promise.all([
      records.committed.length > 0 ? publisher.publish(deps.topics.committed, records.committed) : undefined,
      records.rejected.length > 0 ? publisher.publish(deps.topics.rejected, records.rejected) : undefined,
    ]);
    for (const item of incoming) {
      metrics.eventsConsumed.inc({ topic, group: groupId, event_type: eventTypeLabel(item.envelope) });
      item.span.end();
    }
    metrics.consumeDuration.observe({ topic, group: groupId }, (performance.now() - started) / 1000);
  }

  const consumer = createBatchConsumer({
    kafka: deps.kafka,
    logger,
    metrics,
    groupId,
    topic: deps.topics.ingest,
    partitionsConcurrently: deps.partitionsConcurrently,
    maxChunk: deps.maxAppendBatch,
    lag: deps.lag,
    onRebalance: () => heads.clear(),
    handle: (partition, messages) => processChunk(deps.topics.ingest, partition, messages),
  });
  return consumer;
}
