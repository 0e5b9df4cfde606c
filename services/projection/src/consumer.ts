import { domainForEventType, subjectErasedBy, type CommittedEvent } from "@eventscope/contracts";
import {
  eraseParkedMessages,
  isolatePoison,
  readCommittedBatch,
  createBatchConsumer,
  eventTypeLabel,
  gapReason,
  consumedStreamsSince,
  reasonOf,
  withTransaction,
  eventLog,
  sequenceInTransaction,
  type DeadLetters,
  type Kafka,
  type LagReporter,
  type KafkaMessage,
  type Logger,
  type Metrics,
  type Pool,
  type PoolClient,
  type ParkedErasure,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { applyEvents } from "./apply.ts";
import { documentModels } from "./read-models.ts";

/**
 * The erasures among `events` (CustomerDeleted, CustomerErased) with the personal values the read
 * models still hold of each subject, read before the events drop them.
 */
async function erasuresOf(client: PoolClient, events: CommittedEvent[]): Promise<ParkedErasure[]> {
  const out: ParkedErasure[] = [];
  for (const event of events) {
    if (subjectErasedBy(event) === undefined) continue;
    const docs: (Record<string, unknown> | null | undefined)[] = [];
    for (const model of documentModels.filter((m) => m.handles(event))) {
      const { rows } = await client.query<{ doc: Record<string, unknown> | null }>(
        `SELECT doc FROM ${model.table} WHERE id = $1`,
        [event.aggregateId],
      );
      docs.push(rows[0]?.doc);
    }
    out.push(erasureOf(event, docs)!);
  }
  return out;
}

/**
 * The erasure an event makes (undefined for one that erases no subject) with the personal
 * values `docs`, the read models' documents of the subject, hold: the text of each of the
 * domain's personal state fields, in the documents' order.
 */
export function erasureOf(
  event: CommittedEvent,
  docs: (Record<string, unknown> | null | undefined)[],
): ParkedErasure | undefined {
  const subjectId = subjectErasedBy(event);
  if (subjectId === undefined) return undefined;
  const fields = domainForEventType(event.eventType)?.personalData?.stateFields ?? [];
  const values: string[] = [];
  for (const doc of docs)
    for (const field of fields) {
      const value = doc?.[field];
      if (typeof value === "string") values.push(value);
    }
  return { subjectId, values, eventType: event.eventType, eventId: event.eventId };
}

export interface CommittedConsumerDeps {
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

interface Outcome {
  applied: Map<string, number>;
  /** Parked after the batch: gaps, events PostgreSQL refuses, events a read model cannot apply. */
  parked: { event: CommittedEvent; reason: string; label: string }[];
}

/**
 * Consumes events.committed and applies each batch to every read model in one transaction;
 * offsets are committed only after it. Per stream, the next version is applied, one applied
 * before is skipped, one with versions missing before it (a gap) is parked. Malformed messages,
 * events PostgreSQL refuses and events a read model cannot apply are parked with their reason,
 * and the consumer goes on with the rest.
 */
export function createCommittedConsumer(deps: CommittedConsumerDeps) {
  const { pool, logger, metrics, tracer, groupId, topic } = deps;
  let since: Promise<number | undefined> | undefined;
  const trackedSince = () =>
    (since ??= consumedStreamsSince(pool).catch((error: unknown) => {
      since = undefined;
      throw error;
    }));

  async function applyOnce(partition: number, events: CommittedEvent[], outcome: Outcome): Promise<void> {
    const options = { trackedSince: await trackedSince() };
    const { sequenced, result } = await withTransaction(pool, async (client) => {
      const { sequenced, save } = await sequenceInTransaction(client, events, options);
      const erasures = await erasuresOf(client, sequenced.next);
      const result = await applyEvents(client, sequenced.next, { suffix: "", partition });
      // The messages of an erased subject this service parked go with their read models' data.
      for (const erasure of erasures) await eraseParkedMessages(client, erasure);
      await save();
      return { sequenced, result };
    });
    for (const [projection, n] of result.applied)
      outcome.applied.set(projection, (outcome.applied.get(projection) ?? 0) + n);
    for (const gap of sequenced.gaps)
      outcome.parked.push({ event: gap.event, reason: gapReason(gap), label: "gap" });
    for (const f of result.failures)
      outcome.parked.push({
        event: f.event,
        reason: `apply failed in ${f.projection}: ${f.error.message}`,
        label: "apply",
      });
  }

  /** A batch PostgreSQL refuses for good is applied in halves until the offending events are found. */
  const applyAll = (partition: number, events: CommittedEvent[], outcome: Outcome): Promise<void> =>
    isolatePoison(
      events,
      (part) => applyOnce(partition, part, outcome),
      (event, error) => {
        outcome.parked.push({ event, reason: `unappliable: ${reasonOf(error)}`, label: "poison" });
      },
    );

  async function handle(messages: KafkaMessage[]): Promise<void> {
    const started = performance.now();
    const { events, spans, messageOf } = await readCommittedBatch({
      topic,
      group: groupId,
      messages,
      tracer,
      metrics,
      deadLetters: deps.deadLetters,
    });
    if (events.length === 0) return;
    const outcome: Outcome = { applied: new Map(), parked: [] };
    // The checkpoint row of the lowest partition the batch holds: batches handled at the same
    // time hold disjoint partitions, so they never write (and wait on) the same row.
    let slot = messages[0]!.partition;
    for (const m of messages) slot = Math.min(slot, m.partition);
    try {
      await applyAll(slot, events, outcome);
      for (const { event, reason, label } of outcome.parked) {
        const message = messageOf.get(event.eventId)!;
        await deps.deadLetters.park({ topic, partition: message.partition, message }, reason);
        metrics.consumeErrors.inc({ topic, group: groupId, reason: label });
        eventLog(logger, spans.get(event.eventId), event).warn({ reason }, "event parked");
      }
    } finally {
      for (const span of spans.values()) span.end();
    }
    const seconds = (performance.now() - started) / 1000;
    const now = Date.now();
    for (const [projection, count] of outcome.applied) {
      metrics.readModelsUpdated.inc({ projection }, count);
      metrics.readModelDuration.observe({ projection }, seconds);
    }
    for (const event of events) {
      const span = spans.get(event.eventId)!;
      metrics.eventsConsumed.inc({ topic, group: groupId, event_type: eventTypeLabel(event) });
      metrics.stageLatency.observe({
        labels: { stage: "projected" },
        value: Math.max(0, now - Date.parse(event.metadata.acceptedAt ?? event.timestamp)) / 1000,
        exemplarLabels: { trace_id: span.spanContext().traceId },
      });
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
    handle,
  });
}
