// Consumes events.committed in batches and records, in one transaction per batch, every
// delivery its events call for (the outbox); only then are the offsets committed. Per stream,
// the next version is recorded, one seen before adds nothing, one with versions missing before
// it (a gap) is parked; so are malformed records and events PostgreSQL refuses, and the
// consumer goes on with the rest of the batch. A customer's deletion or erasure redacts their
// deliveries in the same transaction (erasure.ts).
import {
  MalformedRecordError,
  notificationRulesFor,
  readCommittedRecord,
  subjectErasedBy,
  type CommittedEvent,
} from "@eventscope/contracts";
import {
  advanceConsumedVersions,
  isolatePoison,
  context,
  createBatchConsumer,
  eventTypeLabel,
  gapReason,
  consumedStreamsSince,
  reasonOf,
  startConsumerSpan,
  trace,
  traceHeaders,
  withTransaction,
  sequenceInTransaction,
  type DeadLetters,
  type Kafka,
  type LagReporter,
  type KafkaMessage,
  type Logger,
  type Metrics,
  type Pool,
  type SequenceOptions,
  type Span,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { customerOf } from "./customer-ref.ts";
import { recordDeliveries } from "./deliveries.ts";
import { erasedAmong, eraseCustomers, type Erasure } from "./erasure.ts";
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
  /** After a fetch with records, how long to wait before the next (KAFKA_FETCH_LINGER_MS). */
  fetchLingerMs?: number;
  emailToDefault: string;
  /** Told when deliveries were recorded, so they are sent at once. */
  onRecorded: () => void;
  /** Told of each batch started, for the consumer-lag monitor. */
  lag?: LagReporter;
}

export function createCommittedConsumer(deps: CommittedConsumerDeps) {
  const { pool, logger, metrics, tracer, topic, groupId } = deps;
  let since: Promise<number | undefined> | undefined;
  const trackedSince = () =>
    (since ??= consumedStreamsSince(pool).catch((error: unknown) => {
      since = undefined;
      throw error;
    }));
  const consumerSpan = (message: KafkaMessage, event: CommittedEvent): Span =>
    startConsumerSpan(tracer, {
      topic,
      partition: message.partition,
      group: groupId,
      offset: message.offset,
      headers: message.headers,
      event: event,
    });

  interface Item {
    event: CommittedEvent;
    message: KafkaMessage;
    span: Span;
    planned: PlannedDelivery[];
  }
  interface Outcome {
    recorded: number;
    parked: { item: Item; reason: string; label: string }[];
  }

  async function recordOnce(items: Item[], outcome: Outcome): Promise<void> {
    const byId = new Map(items.map((i) => [i.event.eventId, i]));
    const events = items.map((i) => i.event);
    const options = { trackedSince: await trackedSince() };
    // A batch that calls for no delivery and erases no one (user activity, mostly) has only its
    // versions to record: one statement, no transaction around it.
    const inert = items.every((i) => i.planned.length === 0 && subjectErasedBy(i.event) === undefined);
    const alone = inert ? await advanceConsumedVersions(pool, events, options) : undefined;
    const { sequenced, recorded } = alone
      ? { sequenced: alone, recorded: 0 }
      : await recordInTransaction(byId, events, options);
    outcome.recorded += recorded;
    for (const gap of sequenced.gaps)
      outcome.parked.push({ item: byId.get(gap.event.eventId)!, reason: gapReason(gap), label: "gap" });
  }

  function recordInTransaction(byId: Map<string, Item>, events: CommittedEvent[], options: SequenceOptions) {
    return withTransaction(pool, async (client) => {
      const { sequenced, save } = await sequenceInTransaction(client, events, options);
      const planned = sequenced.next.flatMap((e) => byId.get(e.eventId)!.planned);
      const recorded = await recordDeliveries(client, planned);
      // A customer erased by this batch, or before it, keeps nothing personal in any delivery.
      const erasures: Erasure[] = sequenced.next.flatMap((e) => {
        const customerId = subjectErasedBy(e);
        return customerId === undefined ? [] : [{ customerId, eventId: e.eventId, eventType: e.eventType }];
      });
      const concerned = [...new Set(planned.flatMap((p) => customerOf(p.event) ?? []))];
      await eraseCustomers(client, [...(await erasedAmong(client, concerned)), ...erasures]);
      await save();
      return { sequenced, recorded };
    });
  }

  /** A batch PostgreSQL refuses for good is recorded in halves until the offending events are found. */
  const recordAll = (items: Item[], outcome: Outcome): Promise<void> =>
    isolatePoison(
      items,
      (part) => recordOnce(part, outcome),
      (item, error) => {
        outcome.parked.push({ item, reason: `unrecordable: ${reasonOf(error)}`, label: "poison" });
      },
    );

  const park = async (message: KafkaMessage, reason: string, label: string) => {
    const { partition } = message;
    await deps.deadLetters.park({ topic, partition, message }, reason);
    metrics.consumeErrors.inc({ topic, group: groupId, reason: label });
    logger.warn({ partition, offset: message.offset, reason }, "parked");
  };

  async function handle(messages: KafkaMessage[]): Promise<void> {
    const started = performance.now();
    const items: Item[] = [];
    try {
      const subscriptions = await listSubscriptions(pool);
      for (const message of messages) {
        let event: CommittedEvent;
        try {
          // Upcast to the current schema version of its type, as every reader of the topic gets it.
          event = readCommittedRecord(message);
        } catch (error) {
          if (!(error instanceof MalformedRecordError)) throw error;
          await park(message, `malformed: ${error.reason}`, "malformed");
          continue;
        }
        const span = consumerSpan(message, event);
        const traceparent = traceHeaders(trace.setSpan(context.active(), span)).traceparent;
        const rules = notificationRulesFor(event.eventType);
        const planned = planDeliveries(event, rules, subscriptions, {
          emailTo: deps.emailToDefault,
          traceparent,
        });
        span.setAttribute("eventscope.notification.deliveries", planned.length);
        items.push({ event, message, span, planned });
      }
      const outcome: Outcome = { recorded: 0, parked: [] };
      if (items.length > 0) await recordAll(items, outcome);
      for (const { item, reason, label } of outcome.parked) await park(item.message, reason, label);
      for (const { event, span } of items) {
        metrics.eventsConsumed.inc({ topic, group: groupId, event_type: eventTypeLabel(event) });
        context.with(trace.setSpan(context.active(), span), () =>
          logger.debug(
            { eventId: event.eventId, correlationId: event.metadata.correlationId },
            "event planned",
          ),
        );
      }
      if (outcome.recorded > 0) deps.onRecorded();
    } finally {
      for (const { span } of items) span.end();
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
    fetchLingerMs: deps.fetchLingerMs,
    lag: deps.lag,
    handle,
  });
}
