// Consumes events.committed in batches: per stream the next version is fed to every process it
// concerns, one seen before is skipped, one with versions missing before it is parked; the
// processes, their new steps and timers, and the checkpoint are written in one transaction
// before the offsets are committed. A stored event that is one of our steps marks it committed.
// A customer's deletion or erasure redacts their processes in the same transaction (erasure.ts).
import { subjectErasedBy, type CommittedEvent } from "@eventscope/contracts";
import {
  advanceConsumedVersions,
  isolatePoison,
  context,
  createBatchConsumer,
  eventTypeLabel,
  gapReason,
  reasonOf,
  readCommittedBatch,
  trace,
  traceHeaders,
  withTransaction,
  sequenceInTransaction,
  type DeadLetters,
  type Kafka,
  type KafkaMessage,
  type LagReporter,
  type Logger,
  type Metrics,
  type Pool,
  type Span,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { feed, flush, newWork, resolveRoute, type Effects } from "./engine.ts";
import { eraseSubjects, type Erasure } from "./erasure.ts";
import { sagas, typeOfProcess, type Settings } from "./sagas/index.ts";
import { markCommitted } from "./store.ts";

export interface ConsumerDeps {
  kafka: Kafka;
  pool: Pool;
  deadLetters: DeadLetters;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  groupId: string;
  topic: string;
  partitionsConcurrently: number;
  /** After a fetch with records, how long to wait before the next (KAFKA_FETCH_LINGER_MS). */
  fetchLingerMs?: number;
  settings: Settings;
  /** Told after a transaction that wrote steps or timers, so they are looked at at once. */
  onWritten: (effects: Effects) => void;
  lag?: LagReporter;
}

/** Counts what a committed transaction did. */
export function countEffects(metrics: Metrics, effects: Effects): void {
  for (const type of effects.started) metrics.processesStarted.inc({ type });
  for (const e of effects.ended) metrics.processesCompleted.inc(e);
}

const stepKind = (step: string): string => step.split(":")[0]!;

/** An event no saga routes, that erases no subject and is not one of our steps. */
const isInert = (event: CommittedEvent): boolean =>
  event.metadata.source !== "process-manager" &&
  subjectErasedBy(event) === undefined &&
  sagas.every((saga) => saga.route(event).length === 0);

export function createCommittedConsumer(deps: ConsumerDeps) {
  const { pool, logger, metrics, tracer, groupId, topic } = deps;

  async function applyOnce(events: CommittedEvent[], spans: Map<string, Span>) {
    // A batch that no saga takes up, that erases no one and holds none of our steps (user
    // activity, mostly) has only its versions to record: one statement, no transaction around it.
    if (events.every(isInert)) {
      const sequenced = await advanceConsumedVersions(pool, events);
      if (sequenced)
        return { sequenced, effects: { started: [], ended: [], steps: 0 } as Effects, committed: [] };
    }
    return withTransaction(pool, async (client) => {
      const { sequenced, save } = await sequenceInTransaction(client, events);
      const work = newWork(client, deps.settings);
      for (const event of sequenced.next) {
        const span = spans.get(event.eventId);
        const cause = {
          eventId: event.eventId,
          traceparent: span ? traceHeaders(trace.setSpan(context.active(), span)).traceparent : undefined,
        };
        for (const saga of sagas)
          for (const route of saga.route(event)) {
            const processId = await resolveRoute(work, route);
            if (processId === undefined || typeOfProcess(processId) !== saga.type) continue;
            const start = "start" in route && route.start ? event : undefined;
            await feed(work, processId, { kind: "event", event }, cause, start);
          }
      }
      await flush(work);
      // A customer's deletion or erasure, once every saga has met it: nothing personal stays.
      const erasures: Erasure[] = sequenced.next.flatMap((e) => {
        const subjectId = subjectErasedBy(e);
        return subjectId === undefined ? [] : [{ subjectId, eventId: e.eventId, eventType: e.eventType }];
      });
      await eraseSubjects(client, erasures);
      const committed = await markCommitted(
        client,
        sequenced.next.filter((e) => e.metadata.source === "process-manager").map((e) => e.eventId),
      );
      await save();
      return { sequenced, effects: work.effects, committed };
    });
  }

  type Parked = { event: CommittedEvent; reason: string; label: string };

  /** A batch PostgreSQL refuses for good is applied in halves until the offending events are found. */
  const applyAll = (events: CommittedEvent[], spans: Map<string, Span>, parked: Parked[]): Promise<void> =>
    isolatePoison(
      events,
      async (part) => {
        const { sequenced, effects, committed } = await applyOnce(part, spans);
        for (const gap of sequenced.gaps)
          parked.push({ event: gap.event, reason: gapReason(gap), label: "gap" });
        countEffects(metrics, effects);
        for (const c of committed)
          metrics.processStepDuration.observe(
            { type: typeOfProcess(c.processId), step: stepKind(c.step) },
            c.seconds,
          );
        if (effects.steps > 0 || effects.started.length > 0) deps.onWritten(effects);
      },
      (event, error) => {
        parked.push({ event, reason: `unappliable: ${reasonOf(error)}`, label: "poison" });
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
      // An event no saga takes up gets no span of ours: its trace shows where it went, not where
      // it was only counted (one span in six of a user-activity event's trace, and of Jaeger's work).
      traced: (event) => !isInert(event),
    });
    if (events.length === 0) return;
    const parked: Parked[] = [];
    try {
      await applyAll(events, spans, parked);
      for (const p of parked) {
        const message = messageOf.get(p.event.eventId)!;
        await deps.deadLetters.park({ topic, partition: message.partition, message }, p.reason);
        metrics.consumeErrors.inc({ topic, group: groupId, reason: p.label });
        logger.warn({ eventId: p.event.eventId, reason: p.reason }, "event parked");
      }
    } finally {
      for (const span of spans.values()) span.end();
    }
    for (const event of events)
      metrics.eventsConsumed.inc({ topic, group: groupId, event_type: eventTypeLabel(event) });
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
