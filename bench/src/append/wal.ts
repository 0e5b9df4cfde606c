// What each statement of an append costs the server, by EXPLAIN (ANALYZE, WAL): execution time
// (noisy on a shared box) and WAL records and bytes per event (deterministic, so comparable
// across runs). Fills a schema through the real path, then explains the last batches:
// the raw insert, the events insert and the stream-heads upsert of appendBatch (as committed in
// 4968746: INSERT ... ON CONFLICT DO UPDATE of every stream of the batch), and alternatives.
//   node bench/src/append/wal.ts [multi-stream|single-stream] [--fillfactor=70]
// A diagnostic beside the benchmark, not part of `make bench`.
import { createPool, migrate, quoteIdent, withTransaction, type Pool } from "@eventscope/platform";
import { appendBatch, decideBatch, type AppendBatch, type Head } from "@eventscope/event-store";
import { renderTable } from "../stats.ts";
import { planWorkload, type PlannedEvent, type Shape } from "../workload.ts";
import { headsOf } from "./prototype.ts";
import { runTag, SNAPSHOT_EVERY, STORE_MIGRATIONS } from "./systems.ts";

const connectionString =
  process.env.DATABASE_URL ?? "postgres://eventscope:eventscope@127.0.0.1:55432/eventscope";
const shape = (process.argv.find((a) => a.endsWith("-stream")) ?? "multi-stream") as Shape;
const fillfactor = process.argv.find((a) => a.startsWith("--fillfactor="))?.split("=")[1];
const batchSize = Number(process.env.BATCH_SIZE ?? 500);
const explained = 10;

const COLUMNS = `(event_id, stream_id, version, aggregate_type, aggregate_id, event_type, occurred_at, data, metadata)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::jsonb[], $9::jsonb[])`;
const RAW = `INSERT INTO raw_events ${COLUMNS}`;
const EVENTS = `INSERT INTO events ${COLUMNS} RETURNING position, event_id, stored_at`;
const UPSERT = `INSERT INTO streams (stream_id, aggregate_type, aggregate_id, version)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[])
  ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`;
const UPDATE = `UPDATE streams s SET version = h.version, updated_at = now()
  FROM unnest($1::text[], $2::int[]) AS h(stream_id, version) WHERE s.stream_id = h.stream_id`;

function columns(batch: PlannedEvent[]): unknown[][] {
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const { envelope: e, streamId, version } of batch) {
    [e.eventId, streamId, version, e.aggregateType, e.aggregateId, e.eventType, e.timestamp].forEach((v, i) =>
      cols[i]!.push(v),
    );
    cols[7]!.push(JSON.stringify(e.data));
    cols[8]!.push(JSON.stringify(e.metadata));
  }
  return cols;
}

const heads = (batch: AppendBatch, sorted: boolean): unknown[][] => {
  const list = sorted ? headsOf(batch).sort((a, b) => (a.streamId < b.streamId ? -1 : 1)) : headsOf(batch);
  return [
    list.map((h) => h.streamId),
    list.map((h) => h.aggregateType),
    list.map((h) => h.aggregateId),
    list.map((h) => h.version),
  ];
};

interface Totals {
  ms: number;
  bytes: number;
  records: number;
  events: number;
}

async function explain(
  pool: Pool,
  sql: string,
  params: unknown[],
  rollback: boolean,
): Promise<Omit<Totals, "events">> {
  const client = await pool.connect();
  try {
    if (rollback) await client.query("BEGIN");
    const r = await client.query<{
      "QUERY PLAN": { Plan: Record<string, number>; "Execution Time": number; "Planning Time": number }[];
    }>(`EXPLAIN (ANALYZE, WAL, FORMAT JSON) ${sql}`, params);
    if (rollback) await client.query("ROLLBACK");
    const plan = r.rows[0]!["QUERY PLAN"][0]!;
    return {
      ms: plan["Execution Time"] + plan["Planning Time"],
      bytes: plan.Plan["WAL Bytes"] ?? 0,
      records: plan.Plan["WAL Records"] ?? 0,
    };
  } finally {
    client.release();
  }
}

const schema = `bench_${runTag()}_wal`;
const pool = createPool({ connectionString, schema, max: 1, applicationName: "bench-wal" });
try {
  await migrate(pool, { schema, dir: STORE_MIGRATIONS });
  await pool.query(`CREATE TABLE raw_events (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id uuid NOT NULL, stream_id text NOT NULL,
    version integer NOT NULL, aggregate_type text NOT NULL, aggregate_id text NOT NULL, event_type text NOT NULL,
    occurred_at timestamptz NOT NULL, stored_at timestamptz NOT NULL DEFAULT now(), data jsonb NOT NULL, metadata jsonb NOT NULL)`);
  if (fillfactor) await pool.query(`ALTER TABLE streams SET (fillfactor = ${Number(fillfactor)})`);
  const batches = planWorkload({ shape, batchSize, writers: 1, events: 40_000 })[0]!;
  const known = new Map<string, Head>();
  const decide = (batch: PlannedEvent[]) =>
    decideBatch(
      batch.map((p) => p.envelope),
      (id) => known.get(id),
      SNAPSHOT_EVERY,
    );
  for (const batch of batches.slice(0, -explained)) {
    const decision = decide(batch);
    await withTransaction(pool, (client) => appendBatch(client, decision.batch));
    for (const [id, head] of decision.heads) known.set(id, head);
    await pool.query(RAW, columns(batch));
  }
  for (const table of ["events", "streams", "raw_events"]) await pool.query(`ANALYZE ${table}`);
  const totals = new Map<string, Totals>();
  const add = (name: string, t: Omit<Totals, "events">, events: number) => {
    const sum = totals.get(name) ?? { ms: 0, bytes: 0, records: 0, events: 0 };
    totals.set(name, {
      ms: sum.ms + t.ms,
      bytes: sum.bytes + t.bytes,
      records: sum.records + t.records,
      events: sum.events + events,
    });
  };
  for (const batch of batches.slice(-explained)) {
    const decision = decide(batch);
    const n = batch.length;
    add("raw insert (ceiling)", await explain(pool, RAW, columns(batch), false), n);
    add("store: events insert", await explain(pool, EVENTS, columns(batch), false), n);
    add(
      "heads: UPDATE (rolled back)",
      await explain(pool, UPDATE, [heads(decision.batch, false)[0], heads(decision.batch, false)[3]], true),
      n,
    );
    add(
      "heads: upsert, stream order (rolled back)",
      await explain(pool, UPSERT, heads(decision.batch, true), true),
      n,
    );
    add("store: heads upsert", await explain(pool, UPSERT, heads(decision.batch, false), false), n);
    for (const [id, head] of decision.heads) known.set(id, head);
  }
  const rows = [...totals].map(([name, t]) => [
    name,
    ((t.ms * 1000) / t.events).toFixed(1),
    (t.records / t.events).toFixed(1),
    Math.round(t.bytes / t.events).toString(),
  ]);
  process.stdout.write(
    `${shape}, ${batchSize} events per append, streams fillfactor ${fillfactor ?? "100 (default)"}; per event, over the last ${explained} batches:\n`,
  );
  process.stdout.write(`${renderTable(["statement", "server µs", "WAL records", "WAL bytes"], rows, 1)}\n`);
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => {});
  await pool.end();
}
