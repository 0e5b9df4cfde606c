import type { CommittedEvent } from "@eventscope/contracts";
import { withTransaction, type Logger, type Pool, type PoolClient } from "@eventscope/platform";
import { applyEvents, projectionLock } from "./apply.ts";
import { documentModels, USER_ACTIVITY } from "./read-models.ts";

const SHADOW = "__rebuild";

interface FeedPage {
  events: CommittedEvent[];
  nextCursor: string;
  caughtUp: boolean;
}

export interface RebuildDeps {
  pool: Pool;
  logger: Logger;
  eventStoreUrl: string;
  /** Sent as X-API-Key: the feed needs the read scope when the store has keys. */
  apiKey?: string | undefined;
  pageSize?: number;
}

async function readFeed(deps: RebuildDeps, after: string): Promise<FeedPage> {
  const res = await fetch(
    `${deps.eventStoreUrl}/api/eventstore/feed?after=${after}&limit=${deps.pageSize ?? 1000}`,
    deps.apiKey ? { headers: { "x-api-key": deps.apiKey } } : {},
  );
  if (!res.ok) throw new Error(`the event store's feed answered ${res.status}`);
  return (await res.json()) as FeedPage;
}

/**
 * The streams the store has tombstoned: the feed leaves their events out, so the rebuilt read
 * model drops their documents, and the live projection's versions of them are not waited for.
 */
async function tombstonedStreams(deps: RebuildDeps): Promise<string[]> {
  const ids: string[] = [];
  for (let after = ""; ;) {
    const res = await fetch(
      `${deps.eventStoreUrl}/api/eventstore/streams?lifecycle=tombstoned&limit=10000&after=${encodeURIComponent(after)}`,
      deps.apiKey ? { headers: { "x-api-key": deps.apiKey } } : {},
    );
    if (!res.ok) throw new Error(`the event store's stream registry answered ${res.status}`);
    const page = (await res.json()) as { streams: { streamId: string }[]; nextAfter?: string };
    ids.push(...page.streams.map((s) => s.streamId));
    if (!page.nextAfter || page.streams.length < 10_000) return ids;
    after = page.nextAfter;
  }
}

const tableOf = (name: string) =>
  name === USER_ACTIVITY ? USER_ACTIVITY : documentModels.find((m) => m.name === name)!.table;

/** Streams whose live version the shadow has not reached yet (tombstoned ones aside). */
async function behind(client: PoolClient, name: string, tombstoned: string[]): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM projection_streams l
     LEFT JOIN projection_streams r ON r.projection = $2 AND r.stream_id = l.stream_id
     WHERE l.projection = $1 AND (r.version IS NULL OR r.version < l.version)
       AND l.stream_id <> ALL($3::text[])`,
    [name, name + SHADOW, tombstoned],
  );
  return rows[0]!.n;
}

/**
 * Rebuilds one projection from the event store's gap-safe global feed into shadow tables while
 * the live one keeps answering queries, then swaps them in one transaction once the shadow has
 * every event the live projection has applied.
 */
export async function rebuildProjection(
  deps: RebuildDeps,
  name: string,
): Promise<{ events: number; durationMs: number }> {
  const { pool, logger } = deps;
  const started = performance.now();
  const table = tableOf(name);
  const shadow = table + SHADOW;
  await pool.query(
    `UPDATE projection_checkpoints SET status = 'rebuilding', last_error = NULL WHERE projection = $1`,
    [name],
  );
  await pool.query(`DROP TABLE IF EXISTS ${shadow}`);
  await pool.query(`CREATE TABLE ${shadow} (LIKE ${table} INCLUDING ALL)`);
  await pool.query("DELETE FROM projection_streams WHERE projection = $1", [name + SHADOW]);
  await pool.query("DELETE FROM projection_checkpoints WHERE projection = $1", [name + SHADOW]);
  await pool.query("DELETE FROM projection_partition_checkpoints WHERE projection = $1", [name + SHADOW]);

  let cursor = "0:0";
  let events = 0;
  const applyPage = async (client: PoolClient, page: FeedPage) => {
    await applyEvents(client, page.events, { suffix: SHADOW, only: [name] });
    events += page.events.length;
    cursor = page.nextCursor;
  };
  for (;;) {
    const page = await readFeed(deps, cursor);
    await withTransaction(pool, (client) => applyPage(client, page));
    if (page.caughtUp) break;
  }
  await withTransaction(pool, async (client) => {
    await projectionLock(client, name, true);
    const deadline = Date.now() + 10_000;
    let tombstoned = await tombstonedStreams(deps);
    for (let round = 0; ; round++) {
      const page = await readFeed(deps, cursor);
      await applyPage(client, page);
      // A stream tombstoned while this waits is taken up on the next round.
      if (page.caughtUp && round > 0) tombstoned = await tombstonedStreams(deps);
      if (page.caughtUp && (await behind(client, name, tombstoned)) === 0) break;
      if (Date.now() > deadline)
        throw new Error("the rebuilt projection did not catch up with the live one in time");
      if (page.caughtUp) await new Promise((r) => setTimeout(r, 50));
    }
    await client.query(`ALTER TABLE ${table} RENAME TO ${table}__old`);
    await client.query(`ALTER TABLE ${shadow} RENAME TO ${table}`);
    await client.query(`DROP TABLE ${table}__old`);
    await client.query("DELETE FROM projection_streams WHERE projection = $1", [name]);
    await client.query("UPDATE projection_streams SET projection = $1 WHERE projection = $2", [
      name,
      name + SHADOW,
    ]);
    await client.query(
      `UPDATE projection_checkpoints c SET position = GREATEST(c.position, r.position), status = 'live', rebuilt_at = now(), updated_at = now()
       FROM (SELECT max(position) AS position FROM projection_partition_checkpoints WHERE projection = $2) r
       WHERE c.projection = $1`,
      [name, name + SHADOW],
    );
    await client.query("DELETE FROM projection_partition_checkpoints WHERE projection = $1", [name + SHADOW]);
  });
  const durationMs = Math.round(performance.now() - started);
  logger.info({ projection: name, events, durationMs }, "projection rebuilt");
  return { events, durationMs };
}

/**
 * Starts a projection's rebuild unless one of it is running (false then); one that fails leaves
 * the projection live, with the error as its last error.
 */
export function createRebuilds(deps: RebuildDeps): (name: string) => boolean {
  const rebuilding = new Set<string>();
  return (name) => {
    if (rebuilding.has(name)) return false;
    rebuilding.add(name);
    rebuildProjection(deps, name)
      .catch(async (error: unknown) => {
        deps.logger.error({ err: error, projection: name }, "rebuild failed");
        await deps.pool.query(
          "UPDATE projection_checkpoints SET status = 'live', last_error = $2 WHERE projection = $1",
          [name, `rebuild failed: ${(error as Error).message}`],
        );
      })
      .finally(() => rebuilding.delete(name));
    return true;
  };
}
