// The `consumed_streams` table of a consuming service (the platform's migration creates it,
// see migrate's `platform` option): the last version it applied of each stream, written in the
// same transaction as what it applied, read by sequenceEvents (stream-sequence.ts) to tell
// duplicates from gaps.
import { streamOfEvent } from "@eventscope/contracts";
import type { Pool, PoolClient } from "./postgres.ts";

/**
 * When the service began recording versions (the first `*_consumed_streams.sql` migration it
 * applied: its own, in a schema older than the platform's, or `platform_consumed_streams.sql`):
 * streams stored before then are taken up where they are (see SequenceOptions).
 */
export async function consumedStreamsSince(pool: Pool): Promise<number | undefined> {
  const { rows } = await pool.query<{ applied_at: Date | null }>(
    "SELECT min(applied_at) AS applied_at FROM schema_migrations WHERE version LIKE '%\\_consumed\\_streams.sql'",
  );
  return rows[0]?.applied_at?.getTime() ?? undefined;
}

/**
 * The last version the live consumer applied of each of these events' streams, the rows locked
 * until the transaction ends (a member that lost the partition in a rebalance waits, then sees
 * what the other applied).
 */
export async function lockConsumedVersions(
  client: PoolClient,
  events: { aggregateType: string; aggregateId: string }[],
): Promise<Map<string, number>> {
  const { rows } = await client.query<{ stream_id: string; version: number }>(
    "SELECT stream_id, version FROM consumed_streams WHERE stream_id = ANY($1) ORDER BY stream_id FOR UPDATE",
    [[...new Set(events.map(streamOfEvent))]],
  );
  return new Map(rows.map((r) => [r.stream_id, r.version]));
}

export async function saveConsumedVersions(client: PoolClient, heads: Map<string, number>): Promise<void> {
  if (heads.size === 0) return;
  await client.query(
    `INSERT INTO consumed_streams (stream_id, version) SELECT * FROM unnest($1::text[], $2::int[])
     ON CONFLICT (stream_id) DO UPDATE SET version = GREATEST(consumed_streams.version, EXCLUDED.version)`,
    [[...heads.keys()], [...heads.values()]],
  );
}
