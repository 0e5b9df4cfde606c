import { rejectionCodes, streamIdOf, type CommittedEvent, type EventEnvelope } from "@eventscope/contracts";
import {
  isolatePoison,
  isPoison,
  reasonOf,
  context,
  trace,
  ATTR_DB_OPERATION_BATCH_SIZE,
  type Logger,
  type Metrics,
  type Pool,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { decideBatch, type AppendBatch, type Rejection } from "./decide.ts";
import type { HeadCache } from "./heads.ts";
import type { Incoming } from "./parse.ts";
import { erasingParked, erasuresIn } from "./parked-erasure.ts";
import { appendBatch, findDecided, type KnownOutcome, type StoredForms } from "./store.ts";
import { decideWritten, storedForms } from "./stored-forms.ts";
import type { SubjectKey } from "./subject-keys.ts";

export const INVALID_EVENT = rejectionCodes.invalidEvent;
/** PostgreSQL refuses the event for good (a NUL or a lone surrogate in a string, a value out of range). */
export const UNSTORABLE = rejectionCodes.unstorable;

export interface Appended {
  committed: CommittedEvent[];
  rejections: Rejection[];
  /** Found decided by another writer meanwhile (a stale head): republished as stored. */
  repeats: Incoming[];
  decided: Map<string, KnownOutcome>;
  /** Not even a rejection of them can be stored (no valid event id): parked with the reason. */
  parked: { item: Incoming; reason: string }[];
}

export interface AppenderDeps {
  pool: Pool;
  heads: HeadCache;
  tracer: Tracer;
  metrics: Metrics;
  logger: Logger;
  snapshotEvery: number;
  /** Called once an append has committed, before anything of it is published. */
  afterAppend: (stored: number) => void;
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === "23505";
const streamOf = (e: EventEnvelope) => streamIdOf(e.aggregateType, e.aggregateId);

/** Stages 3 and 4 of the write path: decide against the heads, then append in one statement. */
export function createAppender(deps: AppenderDeps) {
  const { pool, heads, tracer, metrics, logger } = deps;
  // The data subjects' keys between batches ("erased" once a subject's key is gone).
  const subjectKeys = new Map<string, SubjectKey>();

  async function traced(
    batch: AppendBatch,
    items: Incoming[],
    forms?: StoredForms,
  ): Promise<CommittedEvent[]> {
    // The step's span; the pg instrumentation's INSERT span is its child (db.* attributes).
    const span = tracer.startSpan("append", {
      attributes: { [ATTR_DB_OPERATION_BATCH_SIZE]: batch.events.length },
      links: items.slice(0, 64).map((i) => ({ context: i.span.spanContext() })),
    });
    const started = performance.now();
    try {
      // An append that erases subjects also redacts their parked messages, in its transaction.
      const erasures = forms?.erased ? erasuresIn(batch.events) : [];
      return await context.with(trace.setSpan(context.active(), span), () =>
        erasures.length === 0
          ? appendBatch(pool, batch, forms)
          : erasingParked(pool, erasures, (client) => appendBatch(client, batch, forms)),
      );
    } catch (error) {
      span.recordException(error as Error);
      throw error;
    } finally {
      span.end();
      metrics.appendDuration.observe((performance.now() - started) / 1000);
      metrics.appendBatchSize.observe(batch.events.length);
    }
  }

  /** Decides `items` against the current heads and appends them; redoes it after a stale head. */
  async function appendOnce(items: Incoming[], out: Appended): Promise<void> {
    for (let attempt = 1; items.length > 0; attempt++) {
      const valid = items.filter((i) => i.invalid === undefined);
      await heads.ensure(valid.map((v) => v.envelope));
      const decision = decideWritten(
        valid.map((v) => v.envelope),
        (current) => decideBatch(current, heads.get, deps.snapshotEvery),
      );
      for (const { envelope, invalid } of items) {
        if (invalid !== undefined)
          decision.batch.rejections.push({
            envelope,
            streamId: streamOf(envelope),
            code: INVALID_EVENT,
            reason: invalid,
          });
      }
      const forms = await storedForms(pool, decision.batch, items, subjectKeys);
      try {
        const committed = await traced(decision.batch, items, forms);
        for (const subject of forms.erased?.subjects ?? []) subjectKeys.set(subject, "erased");
        deps.afterAppend(committed.length);
        for (const [streamId, head] of decision.heads) heads.set(streamId, head);
        for (const s of decision.batch.snapshots)
          metrics.snapshotsTaken.inc({ aggregate_type: s.aggregateType ?? "unknown" });
        out.committed.push(...committed);
        out.rejections.push(...decision.batch.rejections);
        return;
      } catch (error) {
        // A stale head (another writer got there first, e.g. around a rebalance): reload and redo.
        if (!isUniqueViolation(error) || attempt >= 3) throw error;
        logger.warn({ err: error, attempt }, "append conflicted; reloading stream heads");
        heads.drop(items.map((i) => streamOf(i.envelope)));
        const again = await findDecided(
          pool,
          items.map((i) => i.envelope.eventId),
        );
        for (const [id, outcome] of again) out.decided.set(id, outcome);
        const still: Incoming[] = [];
        for (const item of items) (again.has(item.envelope.eventId) ? out.repeats : still).push(item);
        items = still;
      }
    }
  }

  async function setAside(item: Incoming, error: unknown, out: Appended): Promise<void> {
    const reason = `PostgreSQL refused the event: ${reasonOf(error)}`;
    const envelope = wellFormed(item.envelope) as EventEnvelope;
    const rejection: Rejection = { envelope, streamId: streamOf(envelope), code: UNSTORABLE, reason };
    try {
      await traced({ events: [], rejections: [rejection], snapshots: [] }, [item]);
      out.rejections.push(rejection);
    } catch (again) {
      if (!isPoison(again)) throw again;
      out.parked.push({ item, reason: `unstorable: ${reason}; its rejection neither: ${reasonOf(again)}` });
    }
  }

  /**
   * Appends the chunk. When PostgreSQL refuses it for a reason that will not go away, the halves
   * are appended in turn (each decided against the heads the previous one left) until the
   * offending events are found; those are rejected as UNSTORABLE and the rest is stored.
   */
  const appendAll = (items: Incoming[], out: Appended): Promise<void> =>
    isolatePoison(
      items,
      (part) => appendOnce(part, out),
      (item, error) => setAside(item, error, out),
    );

  return async (items: Incoming[]): Promise<Appended> => {
    const out: Appended = { committed: [], rejections: [], repeats: [], decided: new Map(), parked: [] };
    await appendAll(items, out);
    return out;
  };
}

/** A copy PostgreSQL can store: NUL and lone surrogates become U+FFFD, in keys and values. */
export function wellFormed(value: unknown): unknown {
  if (typeof value === "string") return value.toWellFormed().replaceAll("\u0000", "\uFFFD");
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), wellFormed(v)]));
  return value;
}
