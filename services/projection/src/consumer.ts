import { fromKafkaRecord, isCommittedEvent, type CommittedEvent } from "@eventscope/contracts";
import {
  startConsumerSpan,
  createBatchConsumer,
  eventTypeLabel,
  withTransaction,
  eventLog,
  type DeadLetters,
  type Kafka,
  type LagReporter,
  type KafkaMessage,
  type Logger,
  type Metrics,
  type Pool,
  type Span,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { applyEvents } from "./apply.ts";

export interface ProjectionConsumerDeps {
  kafka: Kafka;
  pool: Pool;
  deadLetters: DeadLetters;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  groupId: string;
  topic: string;
  partitionsConcurrently: number;
  /** Told of each batch started, for the consumer-lag monitor. */
  lag?: LagReporter;
}

/**
 * Consumes events.committed and applies each batch to every read model in one transaction;
 * offsets are committed only after it. Malformed messages and events a read model cannot apply
 * are parked with their reason, and the consumer goes on.
 */
export function createProjectionConsumer(deps: ProjectionConsumerDeps) {
  const { pool, logger, metrics, tracer, groupId, topic } = deps;
  async function processBatch(partition: number, messages: KafkaMessage[]): Promise<void> {
    const started = performance.now();
    const events: CommittedEvent[] = [];
    const spans = new Map<string, Span>();
    const messageOf = new Map<string, KafkaMessage>();
    for (const message of messages) {
      let event;
      try {
        event = fromKafkaRecord({ key: message.key, value: message.value, headers: message.headers });
        if (!isCommittedEvent(event)) throw new Error("not a committed event: no position");
      } catch (error) {
        await deps.deadLetters.park({ topic, partition, message }, `malformed: ${(error as Error).message}`);
        metrics.consumeErrors.inc({ topic, group: groupId, reason: "malformed" });
        continue;
      }
      events.push(event);
      messageOf.set(event.eventId, message);
      spans.set(
        event.eventId,
        startConsumerSpan(tracer, {
          topic,
          partition,
          group: groupId,
          offset: message.offset,
          headers: message.headers,
          event: event,
        }),
      );
    }
    if (events.length === 0) return;
    const result = await withTransaction(pool, (client) => applyEvents(client, events, { suffix: "" }));
    for (const failure of result.failures) {
      const message = messageOf.get(failure.event.eventId)!;
      await deps.deadLetters.park(
        { topic, partition, message },
        `apply failed in ${failure.projection}: ${failure.error.message}`,
      );
      metrics.consumeErrors.inc({ topic, group: groupId, reason: "apply" });
      eventLog(logger, spans.get(failure.event.eventId), failure.event).warn(
        { projection: failure.projection, err: failure.error },
        "event parked",
      );
    }
    const seconds = (performance.now() - started) / 1000;
    const now = Date.now();
    for (const [projection, count] of result.applied) {
      metrics.readModelsUpdated.inc({ projection }, count);
      metrics.readModelDuration.observe({ projection }, seconds);
    }
    for (const event of events) {
      const span = spans.get(event.eventId)!;
      metrics.eventsConsumed.inc({
        topic,
        group: groupId,
        event_type: eventTypeLabel(event),
      });
      metrics.stageLatency.observe({
        labels: { stage: "projected" },
        value: Math.max(0, now - Date.parse(event.metadata.acceptedAt ?? event.timestamp)) / 1000,
        exemplarLabels: { trace_id: span.spanContext().traceId },
      });
      span.end();
    }
    metrics.consumeDuration.observe({ topic, group: groupId }, seconds);
  }

  return createBatchConsumer({
    kafka: deps.kafka,
    logger,
    metrics,
    groupId,
    topic,
    partitionsConcurrently: deps.partitionsConcurrently,
    lag: deps.lag,
    handle: processBatch,
  });
}
