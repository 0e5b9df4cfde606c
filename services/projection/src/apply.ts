import { streamOfEvent as streamOf, upcast, type CommittedEvent } from "@eventscope/contracts";
import type { PoolClient } from "@eventscope/platform";
import { documentModels, isUserActivity, USER_ACTIVITY, type DocumentModel } from "./read-models.ts";

export interface ApplyOptions {
  /** "" for the live read models, "__rebuild" for the shadow tables a rebuild fills. */
  suffix: string;
  /** Restrict to these projections (a rebuild applies one). */
  only?: string[] | undefined;
  /**
   * The checkpoint row the batch writes: the lowest partition of events.committed it came from
   * (batches handled at once hold disjoint partitions); a rebuild reads the feed (-1).
   */
  partition?: number;
}

/** The checkpoint row of the live consumer itself: every live projection has seen its position. */
export const CONSUMER_CHECKPOINT = "";

export interface ApplyResult {
  applied: Map<string, number>;
  failures: { event: CommittedEvent; projection: string; error: Error }[];
}

/**
 * The events of `handles` that a projection has not seen yet, in order: an event is seen when
 * its stream's version under `projection` (a key of `versions`, "projection\0stream") is at or
 * past its own. Marks those it returns seen in `versions`, so a duplicate later in the same
 * batch is skipped too. A version past the next one (a gap) is applied all the same.
 */
export function freshEvents(
  events: CommittedEvent[],
  versions: Map<string, number>,
  projection: string,
  handles: (e: CommittedEvent) => boolean,
): CommittedEvent[] {
  const out: CommittedEvent[] = [];
  for (const e of events) {
    if (!handles(e)) continue;
    const key = `${projection}\0${streamOf(e)}`;
    if ((versions.get(key) ?? 0) >= e.version) continue;
    versions.set(key, e.version);
    out.push(e);
  }
  return out;
}

/** The highest global position of a batch (0 for none). */
export const highestPosition = (events: CommittedEvent[]): bigint =>
  events.reduce((max, e) => (BigInt(e.position) > max ? BigInt(e.position) : max), 0n);

/**
 * Folds each event into its document in `docs` (an absent one starts from the model's initial
 * state) and answers how many were applied; an event the fold throws on is left out, recorded
 * in `failures`, and the document keeps its state before it.
 */
export function evolveDocuments(
  model: DocumentModel,
  docs: Map<string, unknown>,
  targets: { id: string; event: CommittedEvent }[],
  failures: ApplyResult["failures"],
): number {
  let applied = 0;
  for (const { id, event } of targets) {
    try {
      docs.set(id, model.evolve(docs.has(id) ? docs.get(id) : model.initial(), event));
      applied++;
    } catch (error) {
      failures.push({ event, projection: model.name, error: error as Error });
    }
  }
  return applied;
}

// Live batches share a projection's lock (they do not block each other); a rebuild's final
// swap takes it alone, so no live batch writes to a table while it is being replaced.
export const projectionLock = (client: PoolClient, name: string, exclusive = false) =>
  client.query({
    name: exclusive ? "projection-lock" : "projection-lock-shared",
    text: `SELECT pg_advisory_xact_lock${exclusive ? "" : "_shared"}(hashtext($1))`,
    values: [`eventscope-projection:${name}`],
  });

/**
 * Applies committed events to the read models inside the caller's transaction, each exactly once
 * per (projection, stream, version): the stream versions and the checkpoints are written in the
 * same transaction as the rows, so a redelivered event is recognised and skipped.
 */
export async function applyEvents(
  client: PoolClient,
  read: CommittedEvent[],
  options: ApplyOptions,
): Promise<ApplyResult> {
  // The read models fold current-version data; readers upcast already, this holds for any caller.
  const events = read.map(upcast);
  const result: ApplyResult = { applied: new Map(), failures: [] };
  const models = documentModels.filter((m) => !options.only || options.only.includes(m.name));
  const names = [
    ...models.map((m) => m.name),
    ...(!options.only || options.only.includes(USER_ACTIVITY) ? [USER_ACTIVITY] : []),
  ];
  if (events.length === 0 || names.length === 0) return result;
  const keyOf = (projection: string) => projection + options.suffix;
  // Only the projections some event of the batch is for: the others have nothing to apply.
  const touched = names
    .filter((n) =>
      n === USER_ACTIVITY
        ? events.some(isUserActivity)
        : events.some((e) => models.find((m) => m.name === n)!.handles(e)),
    )
    .sort();
  if (options.suffix === "") for (const name of touched) await projectionLock(client, name);

  // The statements of every batch are named: prepared once per connection, not planned each time.
  // The versions of the touched projections alone: the key's descents are projections x streams.
  const { rows } =
    touched.length === 0
      ? { rows: [] }
      : await client.query<{ projection: string; stream_id: string; version: number }>({
          name: "projection-streams-read",
          text: "SELECT projection, stream_id, version FROM projection_streams WHERE projection = ANY($1) AND stream_id = ANY($2)",
          values: [touched.map(keyOf), [...new Set(events.map(streamOf))]],
        });
  const versions = new Map(rows.map((r) => [`${r.projection}\0${r.stream_id}`, r.version]));
  const before = new Map(versions);
  const fresh = (projection: string, handles: (e: CommittedEvent) => boolean) =>
    freshEvents(events, versions, keyOf(projection), handles);

  for (const model of models) {
    const todo = fresh(model.name, (e) => model.handles(e));
    if (todo.length > 0) await applyDocuments(client, model, todo, options, result);
  }
  if (names.includes(USER_ACTIVITY)) {
    const todo = fresh(USER_ACTIVITY, isUserActivity);
    if (todo.length > 0) {
      await client.query({
        // A rebuild's tables (a suffix) are written once: only the live statement is named.
        name: options.suffix === "" ? "projection-user-activity" : undefined,
        text: `INSERT INTO ${USER_ACTIVITY}${options.suffix} (event_id, user_id, event_type, occurred_at, position, data)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[], $6::jsonb[])
         ON CONFLICT (event_id) DO NOTHING`,
        values: [
          todo.map((e) => e.eventId),
          todo.map((e) => e.aggregateId),
          todo.map((e) => e.eventType),
          todo.map((e) => e.timestamp),
          todo.map((e) => e.position),
          todo.map((e) => JSON.stringify(e.data)),
        ],
      });
      result.applied.set(USER_ACTIVITY, todo.length);
    }
  }

  // Only the versions this batch moved are written, in the statement that writes the checkpoints.
  const moved = [...versions].filter(([key, version]) => before.get(key) !== version);
  // A checkpoint row per projection and partition: with one row per projection, every batch of
  // every partition updated it and the partitions' transactions queued on its lock. Live, only
  // the projections that applied something and the consumer's own row (its position) are written.
  const checkpoints: [string, number][] =
    options.suffix === ""
      ? [
          [CONSUMER_CHECKPOINT, 0],
          ...names.flatMap((n): [string, number][] => {
            const applied = result.applied.get(n) ?? 0;
            return applied > 0 ? [[n, applied]] : [];
          }),
        ]
      : names.map((n) => [keyOf(n), result.applied.get(n) ?? 0]);
  await client.query({
    name: "projection-streams-checkpoints",
    text: `WITH streams AS (
       INSERT INTO projection_streams (projection, stream_id, version)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[])
       ON CONFLICT (projection, stream_id) DO UPDATE SET version = GREATEST(projection_streams.version, EXCLUDED.version)
     )
     INSERT INTO projection_partition_checkpoints (projection, partition, position, events_applied, updated_at)
     SELECT p, $5, $6::bigint, n, now() FROM unnest($4::text[], $7::bigint[]) AS t(p, n)
     ON CONFLICT (projection, partition) DO UPDATE SET
       position = GREATEST(projection_partition_checkpoints.position, EXCLUDED.position),
       events_applied = projection_partition_checkpoints.events_applied + EXCLUDED.events_applied, updated_at = now()`,
    values: [
      moved.map(([k]) => k.split("\0")[0]),
      moved.map(([k]) => k.split("\0")[1]),
      moved.map(([, v]) => v),
      checkpoints.map(([key]) => key),
      options.partition ?? -1,
      highestPosition(events).toString(),
      checkpoints.map(([, applied]) => applied),
    ],
  });
  return result;
}

async function applyDocuments(
  client: PoolClient,
  model: DocumentModel,
  events: CommittedEvent[],
  options: ApplyOptions,
  result: ApplyResult,
): Promise<void> {
  const table = model.table + options.suffix;
  // Another model is read from its shadow only when it is being rebuilt too.
  const tableOf = (other: string) =>
    options.only && !options.only.includes(other) ? other : other + options.suffix;
  const lookup = async (other: string, id: string) => {
    const { rows } = await client.query<{ doc: Record<string, unknown> }>(
      `SELECT doc FROM ${tableOf(other)} WHERE id = $1`,
      [id],
    );
    return rows[0]?.doc;
  };
  const targets: { id: string; event: CommittedEvent }[] = [];
  for (const event of events) {
    const id = await model.idOf(event, lookup);
    if (id !== undefined) targets.push({ id, event });
  }
  if (targets.length === 0) return;
  const ids = [...new Set(targets.map((t) => t.id))];
  // Read-modify-write of a document must not interleave with another batch writing the same
  // document (the order model takes Payment events from other partitions): lock each id first,
  // in one sorted order so that two batches can never wait on each other.
  await client.query(
    `SELECT pg_advisory_xact_lock(k) FROM (SELECT hashtextextended($2 || ':' || id, 0) AS k FROM unnest($1::text[]) AS id ORDER BY 1) AS keys`,
    [ids, table],
  );
  const { rows } = await client.query<{ id: string; doc: unknown }>(
    `SELECT id, doc FROM ${table} WHERE id = ANY($1)`,
    [ids],
  );
  const docs = new Map<string, unknown>(rows.map((r) => [r.id, r.doc]));
  const applied = evolveDocuments(model, docs, targets, result.failures);
  await client.query(
    `INSERT INTO ${table} (id, doc, updated_at) SELECT id, doc, now() FROM unnest($1::text[], $2::jsonb[]) AS t(id, doc)
     ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc, updated_at = now()`,
    [
      ids.filter((id) => docs.has(id)),
      ids.filter((id) => docs.has(id)).map((id) => JSON.stringify(docs.get(id))),
    ],
  );
  result.applied.set(model.name, applied);
}
