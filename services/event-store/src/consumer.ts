import { toKafkaRecord, type CommittedEvent, type EventEnvelope } from "@eventscope/contracts";
import {
  context,
  startConsumerSpan,
  createBatchConsumer,
  eventTypeLabel,
  trace,
  traceHeaders,
  eventLog,
  parseSecretKey,
  ATTR_GLOBAL_POSITION,
  ATTR_STREAM_VERSION,
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
import { createAppender, type Appended } from "./append.ts";
import { faultHooks } from "./fault.ts";
import { createHeadCache } from "./heads.ts";
import { parseChunk, type Incoming } from "./parse.ts";
import { inStreamOrder } from "./publish.ts";
import { recogniseRedeliveries, type Sorted } from "./redeliveries.ts";
import { demoPiiMasterKey, usePiiMasterKey } from "./subject-keys.ts";

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
  /** A crash point for tests (see fault.ts); empty in normal use. */
  fault?: string;
  /** PII_MASTER_KEY: wraps the data subjects' keys (the published demo key when absent). */
  piiMasterKey?: string;
}

/**
 * Consumes events.ingest in chunks, in five stages: parse, recognise redeliveries, decide,
 * append (one statement per chunk), publish; only then are the offsets committed. A redelivered
 * event is republished as stored, before anything newer of its stream.
 */
export function createIngestConsumer(deps: IngestConsumerDeps) {
  const { pool, publisher, logger, metrics, tracer, groupId } = deps;
  const topic = deps.topics.ingest;
  const heads = createHeadCache(pool, deps.stateCacheSize);
  const masterKey = deps.piiMasterKey ?? demoPiiMasterKey;
  // The key's fingerprint only: the key itself is never logged.
  const { keyId } = usePiiMasterKey(parseSecretKey(masterKey));
  if (masterKey === demoPiiMasterKey)
    logger.warn({ keyId }, "personal data is sealed under the published demo key; set PII_MASTER_KEY");
  const faults = faultHooks(deps.fault ?? "");
  const append = createAppender({
    pool,
    heads,
    tracer,
    metrics,
    logger,
    snapshotEvery: deps.snapshotEvery,
    afterAppend: (stored) => faults.afterAppend(stored),
  });

  const park = async (message: KafkaMessage, reason: string, label: string) => {
    const { partition } = message;
    await deps.deadLetters.park({ topic, partition, message }, reason);
    metrics.consumeErrors.inc({ topic, group: groupId, reason: label });
    logger.warn({ partition, offset: message.offset, reason }, "message parked");
  };

  function record(event: EventEnvelope, span: Span, rejection?: { code: string; reason: string }) {
    const out: OutgoingRecord = toKafkaRecord(event);
    // The record continues the trace from this hop; the stored metadata keeps the original.
    const h = traceHeaders(trace.setSpan(context.active(), span));
    if (h.traceparent) out.headers.traceparent = h.traceparent;
    if (rejection) {
      out.headers.ce_rejectioncode = rejection.code;
      out.headers.ce_rejectionreason = rejection.reason;
    }
    return out;
  }

  /** Stage 5: committed events in stream order (stored ones first), then the rejections. */
  async function publish(sorted: Sorted, appended: Appended, spanOf: Map<string, Span>): Promise<void> {
    const committed: CommittedEvent[] = [...appended.committed];
    const rejected: OutgoingRecord[] = [];
    for (const event of appended.committed) {
      const span = spanOf.get(event.eventId)!;
      span.setAttribute(ATTR_STREAM_VERSION, event.version);
      span.setAttribute(ATTR_GLOBAL_POSITION, event.position);
      metrics.eventsStored.inc({ aggregate_type: event.aggregateType, event_type: eventTypeLabel(event) });
      metrics.stageLatency.observe({
        labels: { stage: "stored" },
        value:
          Math.max(0, Date.parse(event.storedAt) - Date.parse(event.metadata.acceptedAt ?? event.timestamp)) /
          1000,
        exemplarLabels: { trace_id: span.spanContext().traceId },
      });
    }
    for (const r of appended.rejections) {
      const span = spanOf.get(r.envelope.eventId)!;
      span.setAttribute("eventscope.rejection.code", r.code);
      rejected.push(record(r.envelope, span, r));
      metrics.eventsRejected.inc({ aggregate_type: r.envelope.aggregateType, code: r.code });
      eventLog(logger, span, r.envelope).info({ code: r.code, reason: r.reason }, "event rejected");
    }
    // A repeat of an event decided just now inside this chunk is covered by its first copy.
    for (const item of [...sorted.repeats, ...appended.repeats]) {
      const known = sorted.decided.get(item.envelope.eventId) ?? appended.decided.get(item.envelope.eventId);
      if (known?.committed) committed.push(known.committed);
      else if (known?.rejected) rejected.push(record(known.rejected.envelope, item.span, known.rejected));
    }
    const records = inStreamOrder(committed).map((e) => record(e, spanOf.get(e.eventId)!));
    await Promise.all([
      records.length > 0 ? publisher.publish(deps.topics.committed, records) : undefined,
      rejected.length > 0 ? publisher.publish(deps.topics.rejected, rejected) : undefined,
    ]);
  }

  async function handle(messages: KafkaMessage[]): Promise<void> {
    const started = performance.now();
    const startSpan = (message: KafkaMessage, envelope: EventEnvelope) =>
      startConsumerSpan(tracer, {
        topic,
        partition: message.partition,
        group: groupId,
        offset: message.offset,
        headers: message.headers,
        // Not its version yet: a client's version is only the expected one; the stored one is set later.
        event: {
          eventId: envelope.eventId,
          eventType: envelope.eventType,
          aggregateId: envelope.aggregateId,
        },
      });
    const { incoming, malformed } = parseChunk(messages, startSpan, { topic });
    for (const m of malformed) await park(m.message, m.reason, "malformed");
    if (incoming.length === 0) return;
    const spanOf = new Map<string, Span>();
    for (const item of incoming)
      if (!spanOf.has(item.envelope.eventId)) spanOf.set(item.envelope.eventId, item.span);
    try {
      const sorted = await recogniseRedeliveries(pool, incoming);
      const appended = await append(sorted.fresh);
      for (const { item, reason } of appended.parked) await park(item.message, reason, "unstorable");
      await publish(sorted, appended, spanOf);
      for (const item of incoming)
        metrics.eventsConsumed.inc({ topic, group: groupId, event_type: eventTypeLabel(item.envelope) });
    } finally {
      for (const item of incoming) item.span.end();
    }
    metrics.consumeDuration.observe({ topic, group: groupId }, (performance.now() - started) / 1000);
  }

  return createBatchConsumer({
    kafka: deps.kafka,
    logger,
    metrics,
    groupId,
    topic,
    partitionsConcurrently: deps.partitionsConcurrently,
    maxChunk: deps.maxAppendBatch,
    lag: deps.lag,
    onRebalance: () => heads.clear(),
    handle,
  });
}

export type { Incoming };
