// Consumes events.committed in batches and records, in one transaction per batch, every
// delivery its events call for (the outbox); only then are the offsets committed. A committed
// event seen again finds its deliveries recorded and adds nothing.
import { fromKafkaRecord, MalformedRecordError, notificationRulesFor } from "@eventscope/contracts";
import type { EventEnvelope } from "@eventscope/contracts";
import {
  context,
  extractContext,
  SpanKind,
  trace,
  traceHeaders,
  withTransaction,
  ATTR_AGGREGATE_ID,
  ATTR_EVENT_ID,
  ATTR_EVENT_TYPE,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  type DeadLetters,
  type EachBatchPayload,
  type Kafka,
  type LagReporter,
  type KafkaMessage,
  type Logger,
  type Metrics,
  type Pool,
  type Span,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { recordDeliveries } from "./deliveries.ts";
import { planDeliveries, type PlannedDelivery } from "./plan.ts";
import { listSubscriptions } from "./subscriptions.ts";

export interface CommittedConsumerDeps {
  kafka: Kafka;
  pool: Pool;
  deadLetters: DeadLetters;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  topic: string;
  groupId: string;
  partitionsConcurrently: number;
  emailToDefault: string;
  /** Told when deliveries were recorded, so they are sent at once. */
  onRecorded: () => void;
  /** Told of each batch started, for the consumer-lag monitor. */
  lag?: LagReporter;
}

// Free-form user-activity types would make the label unbounded: one value for all of them.
const typeLabel = (e: EventEnvelope) => (e.aggregateType === "User" ? "user_activity" : e.eventType);

export function createCommittedConsumer(deps: CommittedConsumerDeps) {
  const { pool, logger, metrics, tracer, topic, groupId } = deps;
  const consumer = deps.kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 100,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
  });
  let running = false;
  consumer.on(consumer.events.CRASH, (e) =>
    logger.error({ err: e.payload.error }, "committed consumer crashed; restarting"),
  );

  function consumerSpan(partition: number, message: KafkaMessage, event: EventEnvelope): Span {
    const parent = extractContext(message.headers as Record<string, Buffer>);
    return tracer.startSpan(
      `${topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: "kafka",
          [ATTR_MESSAGING_OPERATION_TYPE]: "process",
          [ATTR_MESSAGING_DESTINATION_NAME]: topic,
          [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(partition),
          [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: groupId,
          [ATTR_MESSAGING_KAFKA_OFFSET]: Number(message.offset),
          [ATTR_EVENT_ID]: event.eventId,
          [ATTR_EVENT_TYPE]: event.eventType,
          [ATTR_AGGREGATE_ID]: event.aggregateId,
        },
      },
      parent,
    );
  }

  async function eachBatch(payload: EachBatchPayload) {
    const { batch } = payload;
    if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
    deps.lag?.batchStarted(batch.topic, batch.partition, batch.messages[0]);
    const started = performance.now();
    const spans: Span[] = [];
    const planned: PlannedDelivery[] = [];
    const events: EventEnvelope[] = [];
    try {
      const subscriptions = await listSubscriptions(pool);
      for (const message of batch.messages) {
        let event: EventEnvelope;
        try {
          event = fromKafkaRecord(message);
        } catch (error) {
          if (!(error instanceof MalformedRecordError)) throw error;
          await deps.deadLetters.park(
            { topic, partition: batch.partition, message },
            `malformed: ${error.reason}`,
          );
          metrics.consumeErrors.inc({ topic, group: groupId, reason: "malformed" });
          logger.warn({ partition: batch.partition, offset: message.offset, reason: error.reason }, "parked");
          continue;
        }
        const span = consumerSpan(batch.partition, message, event);
        spans.push(span);
        events.push(event);
        const traceparent = traceHeaders(trace.setSpan(context.active(), span)).traceparent;
        const rules = notificationRulesFor(event.eventType);
        const plan = planDeliveries(event, rules, subscriptions, {
          emailTo: deps.emailToDefault,
          traceparent,
        });
        span.setAttribute("eventscope.notification.deliveries", plan.length);
        planned.push(...plan);
      }
      const recorded = await withTransaction(pool, (client) => recordDeliveries(client, planned));
      for (const [i, event] of events.entries()) {
        metrics.eventsConsumed.inc({ topic, group: groupId, event_type: typeLabel(event) });
        context.with(trace.setSpan(context.active(), spans[i]!), () =>
          logger.debug(
            { eventId: event.eventId, correlationId: event.metadata.correlationId },
            "event planned",
          ),
        );
      }
      if (recorded > 0) deps.onRecorded();
    } catch (error) {
      metrics.consumeErrors.inc({ topic, group: groupId, reason: (error as Error).name || "error" });
      logger.error({ err: error, partition: batch.partition }, "batch failed; it will be redelivered");
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
    payload.resolveOffset(batch.messages.at(-1)!.offset);
    await payload.heartbeat();
    metrics.consumeDuration.observe({ topic, group: groupId }, (performance.now() - started) / 1000);
  }

  return {
    async start(): Promise<void> {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: deps.partitionsConcurrently,
        eachBatchAutoResolve: false,
        eachBatch,
      });
      running = true;
    },
    running: () => running,
    async stop(): Promise<void> {
      running = false;
      await consumer.disconnect();
    },
  };
}
