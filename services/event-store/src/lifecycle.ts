// A stream's lifecycle: open, archived (read-only: kept, read and replayed, no new events) or
// tombstoned (closed for good: no new events, its reads answer 410 and the feed leaves it out).
// The registry row (streams) holds the current state and stream_lifecycle every change.
import { withTransaction, type Pool, type PoolClient } from "@eventscope/platform";

export type Lifecycle = "open" | "archived" | "tombstoned";
export type ClosedLifecycle = Exclude<Lifecycle, "open">;

export interface StreamLifecycle {
  streamId: string;
  aggregateType: string;
  aggregateId: string;
  lifecycle: Lifecycle;
  changedAt: string | null;
  reason: string | null;
}

export interface LifecycleChange {
  lifecycle: Lifecycle;
  previous: Lifecycle;
  reason: string | null;
  changedAt: string;
}

/** Which moves are allowed: a tombstone is final, an archive can still become one. */
export function lifecycleMove(from: Lifecycle, to: ClosedLifecycle): "change" | "unchanged" | "refused" {
  if (from === to) return "unchanged";
  if (from === "tombstoned") return "refused";
  return "change";
}

/** The closed streams among these (one probe of the partial index streams_closed_idx). */
export async function closedStreams(
  db: Pool | PoolClient,
  streamIds: string[],
): Promise<Map<string, ClosedLifecycle>> {
  const out = new Map<string, ClosedLifecycle>();
  if (streamIds.length === 0) return out;
  const { rows } = await db.query<{ stream_id: string; lifecycle: ClosedLifecycle }>({
    name: "event-store-closed-streams",
    text: "SELECT stream_id, lifecycle FROM streams WHERE lifecycle <> 'open' AND stream_id = ANY($1::text[])",
    values: [streamIds],
  });
  for (const r of rows) out.set(r.stream_id, r.lifecycle);
  return out;
}

const LIFECYCLE_COLUMNS = `s.stream_id AS "streamId", s.aggregate_type AS "aggregateType", s.aggregate_id AS "aggregateId",
  s.lifecycle, s.lifecycle_changed_at AS "changedAt",
  (SELECT l.reason FROM stream_lifecycle l WHERE l.stream_id = s.stream_id ORDER BY l.id DESC LIMIT 1) AS reason`;

interface LifecycleRow extends Omit<StreamLifecycle, "changedAt"> {
  changedAt: Date | null;
}
const toLifecycle = (r: LifecycleRow): StreamLifecycle => ({
  ...r,
  changedAt: r.changedAt?.toISOString() ?? null,
});

/** A stream's registry entry with its lifecycle, or undefined when no such stream exists. */
export async function streamLifecycle(pool: Pool, streamId: string): Promise<StreamLifecycle | undefined> {
  const { rows } = await pool.query<LifecycleRow>(
    `SELECT ${LIFECYCLE_COLUMNS} FROM streams s WHERE s.stream_id = $1`,
    [streamId],
  );
  return rows[0] && toLifecycle(rows[0]);
}

/** Every lifecycle change of a stream, oldest first. */
export async function lifecycleHistory(pool: Pool, streamId: string): Promise<LifecycleChange[]> {
  const { rows } = await pool.query<{
    lifecycle: Lifecycle;
    previous: Lifecycle;
    reason: string | null;
    at: Date;
  }>(
    "SELECT lifecycle, previous, reason, changed_at AS at FROM stream_lifecycle WHERE stream_id = $1 ORDER BY id",
    [streamId],
  );
  return rows.map((r) => ({
    lifecycle: r.lifecycle,
    previous: r.previous,
    reason: r.reason,
    changedAt: r.at.toISOString(),
  }));
}

/** Streams in one lifecycle state, by stream id, from `after` on. */
export async function listStreams(
  pool: Pool,
  lifecycle: Lifecycle,
  after: string,
  limit: number,
): Promise<StreamLifecycle[]> {
  const { rows } = await pool.query<LifecycleRow>(
    `SELECT ${LIFECYCLE_COLUMNS} FROM streams s WHERE s.lifecycle = $1 AND s.stream_id > $2 ORDER BY s.stream_id LIMIT $3`,
    [lifecycle, after, limit],
  );
  return rows.map(toLifecycle);
}

export type ChangeOutcome =
  | { outcome: "missing" }
  | { outcome: "refused"; current: StreamLifecycle }
  | { outcome: "unchanged" | "changed"; current: StreamLifecycle };

/**
 * Archives or tombstones a stream: the registry row is locked, moved and the change recorded in
 * one transaction. From then on the store rejects the stream's new events (appends check the
 * registry per chunk); an event it was deciding at that very moment may still be stored.
 */
export async function changeLifecycle(
  pool: Pool,
  streamId: string,
  to: ClosedLifecycle,
  reason: string | null,
): Promise<ChangeOutcome> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<LifecycleRow>(
      `SELECT ${LIFECYCLE_COLUMNS} FROM streams s WHERE s.stream_id = $1 FOR UPDATE OF s`,
      [streamId],
    );
    if (!rows[0]) return { outcome: "missing" as const };
    const current = toLifecycle(rows[0]);
    const move = lifecycleMove(current.lifecycle, to);
    if (move === "refused") return { outcome: "refused" as const, current };
    if (move === "unchanged") return { outcome: "unchanged" as const, current };
    const changed = await client.query<{ at: Date }>(
      `WITH moved AS (
         UPDATE streams SET lifecycle = $2, lifecycle_changed_at = now() WHERE stream_id = $1 RETURNING lifecycle_changed_at
       )
       INSERT INTO stream_lifecycle (stream_id, lifecycle, previous, reason, changed_at)
       SELECT $1, $2, $3, $4, lifecycle_changed_at FROM moved RETURNING changed_at AS at`,
      [streamId, to, current.lifecycle, reason],
    );
    return {
      outcome: "changed" as const,
      current: { ...current, lifecycle: to, reason, changedAt: changed.rows[0]!.at.toISOString() },
    };
  });
}
