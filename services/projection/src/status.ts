import type { KafkaAdmin, Pool } from "@eventscope/platform";
import { projectionNames } from "./read-models.ts";

export interface ProjectionStatus {
  name: string;
  status: string;
  position: string;
  eventsApplied: number;
  updatedAt: string;
  rebuiltAt: string | null;
  lastError: string | null;
  /** The event store's last global position, and how far this projection is behind it. */
  storePosition: string | null;
  positionsBehind: number | null;
  /** Messages of events.committed this service's consumer group has not consumed yet. */
  consumerLag: number | null;
}

export interface StatusDeps {
  pool: Pool;
  admin: KafkaAdmin;
  eventStoreUrl: string;
  groupId: string;
  topic: string;
}

async function storePosition(url: string): Promise<string | null> {
  try {
    const res = await fetch(`${url}/api/eventstore/head`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as { lastPosition: string }).lastPosition : null;
  } catch {
    return null;
  }
}

async function consumerLag(deps: StatusDeps): Promise<number | null> {
  try {
    const [ends, committed] = await Promise.all([
      deps.admin.fetchTopicOffsets(deps.topic),
      deps.admin.fetchOffsets({ groupId: deps.groupId, topics: [deps.topic] }),
    ]);
    return lagOf(ends, committed[0]?.partitions ?? []);
  } catch {
    return null;
  }
}

/**
 * Messages not consumed yet, summed over the topic's partitions: from the group's committed
 * offset to the high watermark, or from the low watermark where the group committed none (-1).
 */
export function lagOf(
  ends: { partition: number; high: string; low: string }[],
  committed: { partition: number; offset: string }[],
): number {
  const done = new Map(committed.map((p) => [p.partition, Number(p.offset)]));
  return ends.reduce((sum, p) => {
    const at = done.get(p.partition) ?? -1;
    return sum + Math.max(0, Number(p.high) - (at < 0 ? Number(p.low) : at));
  }, 0);
}

/** Gives every projection its checkpoint row, once. */
export async function registerProjections(pool: Pool): Promise<void> {
  await pool.query(
    "INSERT INTO projection_checkpoints (projection) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
    [projectionNames()],
  );
}

/** Each projection's checkpoint, its distance from the store's head and the consumer lag. */
export async function projectionStatus(deps: StatusDeps): Promise<ProjectionStatus[]> {
  const [rows, head, lag] = await Promise.all([
    // A live projection has seen what the live consumer has (its rows under ''); the counts are
    // its own rows' over the partitions, beside what it counted before they existed.
    deps.pool.query(
      `SELECT c.projection, c.status, c.rebuilt_at, c.last_error,
         GREATEST(c.position, max(p.position))::text AS position,
         (c.events_applied + COALESCE(sum(p.events_applied) FILTER (WHERE p.projection = c.projection), 0))::text AS events_applied,
         GREATEST(c.updated_at, max(p.updated_at) FILTER (WHERE p.projection = c.projection)) AS updated_at
       FROM projection_checkpoints c
       LEFT JOIN projection_partition_checkpoints p ON p.projection IN (c.projection, '')
       WHERE c.projection = ANY($1) GROUP BY c.projection ORDER BY c.projection`,
      [projectionNames()],
    ),
    storePosition(deps.eventStoreUrl),
    consumerLag(deps),
  ]);
  return rows.rows.map((r) => ({
    name: r.projection,
    status: r.status,
    position: r.position,
    eventsApplied: Number(r.events_applied),
    updatedAt: r.updated_at.toISOString(),
    rebuiltAt: r.rebuilt_at?.toISOString() ?? null,
    lastError: r.last_error,
    storePosition: head,
    positionsBehind: head === null ? null : Math.max(0, Number(head) - Number(r.position)),
    consumerLag: lag,
  }));
}
