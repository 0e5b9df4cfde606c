// Consumes events.committed in batches and records, in one transaction per batch, every
// delivery its events call for (the outbox); only then are the offsets committed. A committed
// event seen again finds its deliveries recorded and adds nothing.
import { fromKafkaRecord, MalformedRecordError, notificationRulesFor } from "@eventscope/contracts";
import type { EventEnvelope } from "@eventscope/contracts";
import {
  context,
  createBatchConsumer,
  eventTypeLabel,
  startConsumerSpan,
  trace,
  traceHeaders,
  withTransaction,
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

export function createCommittedConsumer(deps: CommittedConsumerDeps) {
  const { pool, logger, metrics, tracer, topic, groupId } = deps;
  const consumerSpan = (partition: number, message: KafkaMessage, event: EventEnvelope): Span =>
    startConsumerSpan(tracer, {
      topic,
      partition,
      group: groupId,
      offset: message.offset,
      headers: message.headers,
      event: event,
    });

  async function handle(partition: number, messages: KafkaMessage[]): Promise<void> {
    const started = performance.now();
    const spans: Span[] = [];
    const planned: PlannedDelivery[] = [];
    const events: EventEnvelope[] = [];
    try {
      const subscriptions = await listSubscriptions(pool);
      for (const message of messages) {
        let event: EventEnvelope;
        try {
          event = fromKafkaRecord(message);
        } catch (error) {
          if (!(error instanceof MalformedRecordError)) throw error;
          await deps.deadLetters.park({ topic, partition, message }, `malformed: ${error.reason}`);
          metrics.consumeErrors.inc({ topic, group: groupId, reason: "malformed" });
          logger.warn({ partition, offset: message.offset, reason: error.reason }, "parked");
          continue;
        }
        const span = consumerSpan(partition, message, event);
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
        metrics.eventsConsumed.inc({ topic, group: groupId, event_type: eventTypeLabel(event) });
        context.with(trace.setSpan(context.active(), spans[i]!), () =>
          logger.debug(
            { eventId: event.eventId, correlationId: event.metadata.correlationId },
            "event planned",
          ),
        );
      }
      if (recorded > 0) deps.onRecorded();
    } finally {
      for (const span of spans) span.end();
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
    lag: deps.lag,
    handle,
  });
}
