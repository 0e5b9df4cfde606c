// Prototypes of a faster appendBatch, measured beside the real one with
// APPEND_VARIANTS=<key>[,<key>]. Each keeps appendBatch's contract (events with unique ids and
// gapless per-stream versions, positions, heads, snapshots, rejections, all in the caller's
// transaction) unless it is marked as a diagnostic, which leaves work out to show what it costs.
import type { CommittedEvent } from "@eventscope/contracts";
import type { PoolClient } from "@eventscope/platform";
import type { AppendBatch } from "@eventscope/event-store";
import type { AppendFn } from "./systems.ts";

export interface AppendVariant {
  key: string;
  description: string;
  append: AppendFn;
}

const EVENT_INSERT = `INSERT INTO events (event_id, stream_id, version, aggregate_type, aggregate_id, event_type, occurred_at, data, metadata)`;
const EVENT_UNNEST = `SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::jsonb[], $9::jsonb[])`;
const HEADS_UPSERT_TAIL = `ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`;

function eventColumns(batch: AppendBatch): unknown[][] {
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const { envelope: e, streamId, version } of batch.events) {
    cols[0]!.push(e.eventId);
    cols[1]!.push(streamId);
    cols[2]!.push(version);
    cols[3]!.push(e.aggregateType);
    cols[4]!.push(e.aggregateId);
    cols[5]!.push(e.eventType);
    cols[6]!.push(e.timestamp);
    cols[7]!.push(JSON.stringify(e.data));
    cols[8]!.push(JSON.stringify(e.metadata));
  }
  return cols;
}

interface Head {
  streamId: string;
  aggregateType: string;
  aggregateId: string;
  version: number;
}

/** The head of each stream after the batch (its last event), as appendBatch upserted them. */
export function headsOf(batch: AppendBatch): Head[] {
  const heads = new Map<string, Head>();
  for (const { envelope: e, streamId, version } of batch.events) {
    heads.set(streamId, { streamId, aggregateType: e.aggregateType, aggregateId: e.aggregateId, version });
  }
  return [...heads.values()];
}

const headColumns = (heads: Head[]): unknown[][] => [
  heads.map((h) => h.streamId),
  heads.map((h) => h.aggregateType),
  heads.map((h) => h.aggregateId),
  heads.map((h) => h.version),
];

type Returned = { position: string; event_id: string; stored_at: Date };

function toCommitted(batch: AppendBatch, rows: Returned[]): CommittedEvent[] {
  const byId = new Map(rows.map((r) => [r.event_id, r]));
  return batch.events.map(({ envelope, version }) => {
    const row = byId.get(envelope.eventId)!;
    return { ...envelope, version, position: row.position, storedAt: row.stored_at.toISOString() };
  });
}

/** Snapshots and rejections exactly as appendBatch writes them (rare, and not what is measured). */
async function snapshotsAndRejections(client: PoolClient, batch: AppendBatch): Promise<void> {
  if (batch.snapshots.length > 0) {
    await client.query(
      `INSERT INTO snapshots (stream_id, version, state)
       SELECT * FROM unnest($1::text[], $2::int[], $3::jsonb[]) ON CONFLICT DO NOTHING`,
      [
        batch.snapshots.map((s) => s.streamId),
        batch.snapshots.map((s) => s.version),
        batch.snapshots.map((s) => JSON.stringify(s.state)),
      ],
    );
  }
  if (batch.rejections.length > 0) {
    const r = batch.rejections;
    await client.query(
      `INSERT INTO rejected_events (event_id, stream_id, aggregate_type, aggregate_id, event_type, code, reason, envelope)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
       ON CONFLICT (event_id) DO NOTHING`,
      [
        r.map((x) => x.envelope.eventId),
        r.map((x) => x.streamId),
        r.map((x) => x.envelope.aggregateType),
        r.map((x) => x.envelope.aggregateId),
        r.map((x) => x.envelope.eventType),
        r.map((x) => x.code),
        r.map((x) => x.reason),
        r.map((x) => JSON.stringify(x.envelope)),
      ],
    );
  }
}

/**
 * "cte": the events insert and the stream-heads upsert as one statement (a data-modifying
 * CTE), one round trip per batch fewer; same SQL otherwise.
 */
async function appendCte(client: PoolClient, batch: AppendBatch): Promise<CommittedEvent[]> {
  return appendCteWith(client, batch, headColumns(headsOf(batch)));
}

/**
 * "cte-sorted": as "cte", with the heads in stream id order: every transaction locks stream
 * rows in the same order (no deadlock between two writers upserting overlapping heads, as
 * around a rebalance) and the upsert walks the primary key in order.
 */
async function appendCteSorted(client: PoolClient, batch: AppendBatch): Promise<CommittedEvent[]> {
  const heads = headsOf(batch).sort((a, b) =>
    a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0,
  );
  return appendCteWith(client, batch, headColumns(heads));
}

async function appendCteWith(
  client: PoolClient,
  batch: AppendBatch,
  heads: unknown[][],
): Promise<CommittedEvent[]> {
  let committed: CommittedEvent[] = [];
  if (batch.events.length > 0) {
    const { rows } = await client.query<Returned>(
      `WITH heads AS (
         INSERT INTO streams (stream_id, aggregate_type, aggregate_id, version)
         SELECT * FROM unnest($10::text[], $11::text[], $12::text[], $13::int[])
         ${HEADS_UPSERT_TAIL})
       ${EVENT_INSERT}
       ${EVENT_UNNEST}
       RETURNING position, event_id, stored_at`,
      [...eventColumns(batch), ...heads],
    );
    committed = toCommitted(batch, rows);
  }
  await snapshotsAndRejections(client, batch);
  return committed;
}

/** The batch as one JSON document (one JSON.stringify, no array-literal escaping by pg). */
const eventsDocument = (batch: AppendBatch): string =>
  JSON.stringify(
    batch.events.map(({ envelope: e, streamId, version }) => ({
      i: e.eventId,
      s: streamId,
      v: version,
      at: e.aggregateType,
      ai: e.aggregateId,
      t: e.eventType,
      o: e.timestamp,
      d: e.data,
      m: e.metadata,
    })),
  );

const headsDocument = (batch: AppendBatch): string =>
  JSON.stringify(
    headsOf(batch).map((h) => ({ s: h.streamId, at: h.aggregateType, ai: h.aggregateId, v: h.version })),
  );

const EVENT_RECORDSET = (fn: "jsonb_to_recordset" | "json_to_recordset", param: string) =>
  `SELECT x.i, x.s, x.v, x.at, x.ai, x.t, x.o, x.d, x.m
   FROM ${fn}(${param}) AS x(i uuid, s text, v int, at text, ai text, t text, o timestamptz, d jsonb, m jsonb)`;
const HEADS_RECORDSET = (fn: "jsonb_to_recordset" | "json_to_recordset", param: string) =>
  `SELECT h.s, h.at, h.ai, h.v FROM ${fn}(${param}) AS h(s text, at text, ai text, v int)`;

/** "json-cte": the batch as JSON documents (json_to_recordset) and one statement. */
async function appendJsonCte(client: PoolClient, batch: AppendBatch): Promise<CommittedEvent[]> {
  let committed: CommittedEvent[] = [];
  if (batch.events.length > 0) {
    const { rows } = await client.query<Returned>(
      `WITH heads AS (
         INSERT INTO streams (stream_id, aggregate_type, aggregate_id, version)
         ${HEADS_RECORDSET("json_to_recordset", "$2::json")}
         ${HEADS_UPSERT_TAIL})
       ${EVENT_INSERT}
       ${EVENT_RECORDSET("json_to_recordset", "$1::json")}
       RETURNING position, event_id, stored_at`,
      [eventsDocument(batch), headsDocument(batch)],
    );
    committed = toCommitted(batch, rows);
  }
  await snapshotsAndRejections(client, batch);
  return committed;
}

/** "json-text": as appendBatch (two statements) but the batch sent as JSON documents. */
function appendJson(fn: "jsonb_to_recordset" | "json_to_recordset") {
  const cast = fn === "jsonb_to_recordset" ? "jsonb" : "json";
  return async (client: PoolClient, batch: AppendBatch): Promise<CommittedEvent[]> => {
    let committed: CommittedEvent[] = [];
    if (batch.events.length > 0) {
      const { rows } = await client.query<Returned>(
        `${EVENT_INSERT} ${EVENT_RECORDSET(fn, `$1::${cast}`)} RETURNING position, event_id, stored_at`,
        [eventsDocument(batch)],
      );
      committed = toCommitted(batch, rows);
      await client.query(
        `INSERT INTO streams (stream_id, aggregate_type, aggregate_id, version)
         ${HEADS_RECORDSET(fn, `$1::${cast}`)} ${HEADS_UPSERT_TAIL}`,
        [headsDocument(batch)],
      );
    }
    await snapshotsAndRejections(client, batch);
    return committed;
  };
}

/** "prepared": appendBatch's SQL as named prepared statements (parsed and planned once per connection). */
async function appendPrepared(client: PoolClient, batch: AppendBatch): Promise<CommittedEvent[]> {
  let committed: CommittedEvent[] = [];
  if (batch.events.length > 0) {
    const { rows } = await client.query<Returned>({
      name: "bench-append-events",
      text: `${EVENT_INSERT} ${EVENT_UNNEST} RETURNING position, event_id, stored_at`,
      values: eventColumns(batch),
    });
    committed = toCommitted(batch, rows);
    await client.query({
      name: "bench-append-heads",
      text: `INSERT INTO streams (stream_id, aggregate_type, aggregate_id, version)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) ${HEADS_UPSERT_TAIL}`,
      values: headColumns(headsOf(batch)),
    });
  }
  await snapshotsAndRejections(client, batch);
  return committed;
}

/** Diagnostic "no-heads": the events insert alone (NOT a valid store: heads are not kept). */
async function appendNoHeads(client: PoolClient, batch: AppendBatch): Promise<CommittedEvent[]> {
  const { rows } = await client.query<Returned>(
    `${EVENT_INSERT} ${EVENT_UNNEST} RETURNING position, event_id, stored_at`,
    eventColumns(batch),
  );
  return toCommitted(batch, rows);
}

const variants: AppendVariant[] = [
  {
    key: "cte",
    description: "prototype: events insert + heads upsert in one statement (data-modifying CTE)",
    append: appendCte,
  },
  {
    key: "cte-sorted",
    description: "prototype: as cte, heads upserted in stream id order",
    append: appendCteSorted,
  },
  {
    key: "json-text",
    description:
      "prototype: two statements as appendBatch, batch sent as one json document (json_to_recordset)",
    append: appendJson("json_to_recordset"),
  },
  {
    key: "json-cte",
    description: "prototype: batch as json documents (json_to_recordset) and one statement (CTE)",
    append: appendJsonCte,
  },
  {
    key: "prepared",
    description: "prototype: appendBatch's statements, named (prepared once per connection)",
    append: appendPrepared,
  },
  {
    key: "no-heads",
    description: "DIAGNOSTIC, not a valid store: the events insert alone, without the stream-heads upsert",
    append: appendNoHeads,
  },
];

export function prototypeVariants(keys: string[]): AppendVariant[] {
  return keys.map((key) => {
    const found = variants.find((v) => v.key === key);
    if (!found) {
      throw new Error(
        `unknown APPEND_VARIANTS entry "${key}" (known: ${variants.map((v) => v.key).join(", ")})`,
      );
    }
    return found;
  });
}
