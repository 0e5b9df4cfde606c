import { domainForAggregateType, rehydrate, streamIdOf, type CommittedEvent } from "@eventscope/contracts";
import type { Pool } from "@eventscope/platform";
import { EVENT_COLUMNS, findDecided, loadStreamTails, toCommitted } from "./store.ts";

export type EventStatus =
  | { eventId: string; status: "pending" }
  | { eventId: string; status: "committed"; event: CommittedEvent }
  | {
      eventId: string;
      status: "rejected";
      code: string;
      reason: string;
      rejectedAt: string;
      /** The rejected payload's hash (metadata.payloadHash), so a retry can be told from a reuse. */
      payloadHash?: string;
    };

/** Where an accepted event is: committed (with version and position), rejected with a reason, or not yet decided. */
export async function eventStatus(pool: Pool, eventId: string): Promise<EventStatus> {
  const known = (await findDecided(pool, [eventId])).get(eventId);
  if (known?.committed) return { eventId, status: "committed", event: known.committed };
  if (known?.rejected) {
    const payloadHash = known.rejected.envelope?.metadata?.payloadHash;
    return { eventId, status: "rejected", ...pick(known.rejected), ...(payloadHash ? { payloadHash } : {}) };
  }
  return { eventId, status: "pending" };
}
const pick = (r: { code: string; reason: string; rejectedAt: string }) => ({
  code: r.code,
  reason: r.reason,
  rejectedAt: r.rejectedAt,
});

export async function readStream(
  pool: Pool,
  aggregateType: string,
  aggregateId: string,
  fromVersion = 1,
  toVersion = 2_147_483_647,
  limit = 1000,
): Promise<CommittedEvent[]> {
  const { rows } = await pool.query(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND version BETWEEN $2 AND $3 ORDER BY version LIMIT $4`,
    [streamIdOf(aggregateType, aggregateId), fromVersion, toVersion, limit],
  );
  return rows.map(toCommitted);
}

export interface FeedPage {
  events: CommittedEvent[];
  /** Opaque cursor for the next page: `${transactionId}:${position}`. */
  nextCursor: string;
  /** True when the page ended at the safe horizon (events committed later come in a later read). */
  caughtUp: boolean;
}

/** What a query of the feed keeps: event time from/to (inclusive), types, aggregate type, correlation id. */
export interface EventFilter {
  from?: string | undefined;
  to?: string | undefined;
  types?: string[] | undefined;
  aggregateType?: string | undefined;
  correlationId?: string | undefined;
}

function filterClause(filter: EventFilter, args: unknown[]): string {
  const where: string[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    args.push(value);
    where.push(sql(`$${args.length}`));
  };
  if (filter.from !== undefined) add((n) => `occurred_at >= ${n}::timestamptz`, filter.from);
  if (filter.to !== undefined) add((n) => `occurred_at <= ${n}::timestamptz`, filter.to);
  if (filter.types !== undefined) add((n) => `event_type = ANY(${n}::text[])`, filter.types);
  if (filter.aggregateType !== undefined) add((n) => `aggregate_type = ${n}`, filter.aggregateType);
  if (filter.correlationId !== undefined)
    add((n) => `metadata ->> 'correlationId' = ${n}`, filter.correlationId);
  return where.map((w) => ` AND ${w}`).join("");
}

/**
 * The global feed, gap-safe: events in commit order (transaction id, then position), served only
 * from transactions older than the oldest still running, so a reader that stores its cursor never
 * skips an event whose position was taken before a concurrent transaction committed. Events of
 * tombstoned streams are left out, so catch-up readers and rebuilds no longer see those streams.
 * A filter narrows it to a query (date range, types, correlation id) with the same cursor.
 */
export async function readFeed(
  pool: Pool,
  after = "0:0",
  limit = 500,
  filter: EventFilter = {},
): Promise<FeedPage> {
  const [tx, pos] = parseCursor(after);
  const args: unknown[] = [tx, pos, limit];
  const { rows } = await pool.query(
    `SELECT transaction_id::text AS tx, ${EVENT_COLUMNS} FROM events
     WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
       AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())${filterClause(filter, args)}
       AND NOT EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = events.stream_id AND s.lifecycle = 'tombstoned')
     ORDER BY transaction_id, position LIMIT $3`,
    args,
  );
  const last = rows.at(-1);
  return {
    events: rows.map(toCommitted),
    nextCursor: last ? `${last.tx}:${last.position}` : after,
    caughtUp: rows.length < limit,
  };
}

export type PositionStatus =
  { position: string; status: "committed"; event: CommittedEvent } | { position: string; status: "pending" };

/**
 * The event stored at a global position. None (yet) is pending: positions are taken before a
 * transaction commits, and one taken by an append that rolled back stays empty.
 */
export async function eventAtPosition(pool: Pool, position: string): Promise<PositionStatus> {
  const { rows } = await pool.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE position = $1::bigint`, [
    position,
  ]);
  return rows[0]
    ? { position, status: "committed", event: toCommitted(rows[0]) }
    : { position, status: "pending" };
}

export function parseCursor(cursor: string): [string, string] {
  const m = /^(\d+):(\d+)$/.exec(cursor);
  if (!m) throw new Error("cursor must look like <transactionId>:<position>");
  return [m[1]!, m[2]!];
}

export interface ReplayOptions {
  strategy: "full" | "snapshot";
  /** State as of this stream version. */
  version?: number | undefined;
  /** State as of this point in time (event timestamps). */
  at?: string | undefined;
  /** Only list history from this time on (the state is always complete). */
  fromDate?: string | undefined;
}

/**
 * Reconstructs an aggregate by full replay or by snapshot + partial replay, as of a version or
 * a time, and says how much work each took.
 */
export async function replay(pool: Pool, aggregateType: string, aggregateId: string, options: ReplayOptions) {
  const domain = domainForAggregateType(aggregateType);
  if (!domain) return undefined;
  const streamId = streamIdOf(aggregateType, aggregateId);
  const started = performance.now();
  let target = options.version ?? 2_147_483_647;
  if (options.at) {
    const { rows } = await pool.query<{ v: number | null }>(
      "SELECT max(version) AS v FROM events WHERE stream_id = $1 AND occurred_at <= $2",
      [streamId, options.at],
    );
    target = Math.min(target, rows[0]?.v ?? 0);
  }
  let state: unknown;
  let snapshotVersion: number | null = null;
  let replayed: CommittedEvent[];
  if (options.strategy === "snapshot") {
    const { snapshots, events } = await loadStreamTails(pool, [streamId], target);
    const snapshot = snapshots.get(streamId);
    snapshotVersion = snapshot?.version ?? null;
    replayed = events.get(streamId) ?? [];
    state = rehydrate(domain, replayed, snapshot ? snapshot.state : domain.initial());
  } else {
    replayed = await readStream(pool, aggregateType, aggregateId, 1, target, 2_147_483_647);
    state = rehydrate(domain, replayed);
  }
  const durationMs = performance.now() - started;
  const version = replayed.at(-1)?.version ?? snapshotVersion ?? 0;
  if (version === 0) return null;
  const history = await readStream(pool, aggregateType, aggregateId, 1, version, 10_000);
  const from = options.fromDate ? Date.parse(options.fromDate) : undefined;
  return {
    aggregateType,
    aggregateId,
    version,
    state,
    strategy: options.strategy,
    snapshotVersion,
    eventsReplayed: replayed.length,
    durationMs: Math.round(durationMs * 1000) / 1000,
    history: from === undefined ? history : history.filter((e) => Date.parse(e.timestamp) >= from),
  };
}

/** The highest position stored ("0" for an empty store). */
export async function lastPosition(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ p: string | null }>("SELECT max(position) AS p FROM events");
  return rows[0]?.p ?? "0";
}

export interface RejectedSummary {
  eventId: string;
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  code: string;
  reason: string;
  rejectedAt: Date;
}

/** The latest rejections, newest first. */
export async function listRejected(pool: Pool, limit: number): Promise<RejectedSummary[]> {
  const { rows } = await pool.query<RejectedSummary>(
    `SELECT event_id AS "eventId", event_type AS "eventType", aggregate_type AS "aggregateType",
            aggregate_id AS "aggregateId", code, reason, rejected_at AS "rejectedAt"
     FROM rejected_events ORDER BY rejected_at DESC LIMIT $1`,
    [limit],
  );
  return rows;
}

export async function stats(pool: Pool) {
  const [byType, totals, rejected] = await Promise.all([
    pool.query<{ aggregate_type: string; event_type: string; n: string }>(
      "SELECT aggregate_type, event_type, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    pool.query<{
      events: string;
      streams: string;
      snapshots: string;
      bytes: string;
      last_position: string | null;
    }>(
      `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM streams) AS streams,
              (SELECT count(*) FROM snapshots) AS snapshots, pg_total_relation_size('events') AS bytes,
              (SELECT max(position) FROM events) AS last_position`,
    ),
    pool.query<{ code: string; n: string }>(
      "SELECT code, count(*) AS n FROM rejected_events GROUP BY 1 ORDER BY 1",
    ),
  ]);
  const t = totals.rows[0]!;
  return {
    events: Number(t.events),
    streams: Number(t.streams),
    snapshots: Number(t.snapshots),
    sizeBytes: Number(t.bytes),
    lastPosition: t.last_position ?? "0",
    eventsByType: byType.rows.map((r) => ({
      aggregateType: r.aggregate_type,
      eventType: r.event_type,
      count: Number(r.n),
    })),
    rejectedByCode: Object.fromEntries(rejected.rows.map((r) => [r.code, Number(r.n)])),
  };
}
