// The `consumed_streams` table of a consuming service (the platform's migration creates it,
// see migrate's `platform` option): the last version it applied of each stream, written in the
// same transaction as what it applied, read by sequenceEvents (stream-sequence.ts) to tell
// duplicates from gaps.
import { streamOfEvent } from "@eventscope/contracts";
import type { Pool, PoolClient } from "./postgres.ts";
import { sequenceEvents, type Sequenced, type SequenceOptions } from "./stream-sequence.ts";

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

/**
 * Sequences `events` against consumed_streams and records the heads in one statement: the rows
 * are locked, read and advanced at once, one round trip where lockConsumedVersions and
 * saveConsumedVersions take two. Inside a transaction the heads commit with the caller's work
 * (a rollback takes them back); sent alone, for a batch with nothing else to write, the
 * statement is its own transaction. It writes what sequenceEvents decides for the versions it
 * read, which SQL can say simply only when each stream's versions come in ascending by one: for
 * any other batch (a redelivery mixed in) it answers undefined and writes nothing, and the caller
 * locks, sequences and saves in a transaction.
 */
export async function advanceConsumedVersions<T extends SequencedEvent>(
  db: Pick<PoolClient, "query">,
  events: T[],
  options: SequenceOptions = {},
): Promise<Sequenced<T> | undefined> {
  const runs = runsOf(events, options);
  if (runs === undefined) return undefined;
  // Named: prepared once per connection, so that the server plans it once, not on every batch.
  const { rows } = await db.query<{ stream_id: string; version: number }>({
    name: "eventscope-advance-consumed-streams",
    text: `WITH batch AS (
       SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[]) AS b(stream_id, first, last, base)
     ), held AS (
       SELECT stream_id, version FROM consumed_streams WHERE stream_id = ANY($1) ORDER BY stream_id FOR UPDATE
     ), next AS (
       SELECT b.stream_id, h.version AS held, COALESCE(h.version, b.base) AS at, b.first, b.last
       FROM batch b LEFT JOIN held h USING (stream_id)
     ), saved AS (
       INSERT INTO consumed_streams (stream_id, version)
       SELECT stream_id, last FROM next WHERE at >= first - 1 AND at < last
       ON CONFLICT (stream_id) DO UPDATE SET version = GREATEST(consumed_streams.version, EXCLUDED.version)
     )
     SELECT stream_id, held AS version FROM next WHERE held IS NOT NULL`,
    values: [
      runs.map((r) => r.stream),
      runs.map((r) => r.first),
      runs.map((r) => r.last),
      runs.map((r) => r.base),
    ],
  });
  return sequenceEvents(events, new Map(rows.map((r) => [r.stream_id, r.version])), options);
}

/**
 * Sequences a batch inside the caller's transaction: in one statement that also records the
 * heads (advanceConsumedVersions) where it can, else on the versions locked for it. `save` records
 * the heads at the end of the transaction; after the one statement there is nothing left to save.
 */
export async function sequenceInTransaction<T extends SequencedEvent>(
  client: PoolClient,
  events: T[],
  options: SequenceOptions = {},
): Promise<{ sequenced: Sequenced<T>; save: () => Promise<void> }> {
  const advanced = await advanceConsumedVersions(client, events, options);
  if (advanced) return { sequenced: advanced, save: async () => {} };
  const sequenced = sequenceEvents(events, await lockConsumedVersions(client, events), options);
  return { sequenced, save: () => saveConsumedVersions(client, sequenced.heads) };
}

type SequencedEvent = { aggregateType: string; aggregateId: string; version: number; storedAt?: string };

/**
 * Each stream's versions in the batch as one run first..last, with the version its head is taken
 * at when none is recorded (base: 0, or first - 1 for a stream adopted, see SequenceOptions);
 * undefined when a stream's versions do not come in ascending by one.
 */
export function runsOf(
  events: SequencedEvent[],
  options: SequenceOptions = {},
): { stream: string; first: number; last: number; base: number }[] | undefined {
  const runs = new Map<string, { stream: string; first: number; last: number; base: number }>();
  for (const event of events) {
    const stream = streamOfEvent(event);
    const run = runs.get(stream);
    if (run === undefined) {
      const adopted =
        options.trackedSince !== undefined &&
        event.storedAt !== undefined &&
        Date.parse(event.storedAt) < options.trackedSince;
      runs.set(stream, {
        stream,
        first: event.version,
        last: event.version,
        base: adopted ? event.version - 1 : 0,
      });
    } else if (event.version === run.last + 1) run.last = event.version;
    else return undefined;
  }
  return [...runs.values()];
}
