// The systems the append benchmark compares. Each one lives in its own fresh schema (or
// database, for Emmett), has one connection per writer and is emptied before every measurement.
import { randomBytes } from "node:crypto";
import { getPostgreSQLEventStore, type PostgresEventStore } from "@event-driven-io/emmett-postgresql";
import { createPool, migrate, quoteIdent, withTransaction, type Pool } from "@eventscope/platform";
import pg from "pg";
import {
  appendBatch,
  decideBatch,
  eventStoreMigrations,
  type AppendBatch,
  type Head,
} from "@eventscope/event-store";
import type { CommittedEvent } from "@eventscope/contracts";
import type { PoolClient } from "@eventscope/platform";
import type { PlannedEvent } from "../workload.ts";

export const STORE_MIGRATIONS = eventStoreMigrations;

/** The event store's default (SNAPSHOT_EVERY). */
export const SNAPSHOT_EVERY = 100;

export interface Writer {
  append(batch: PlannedEvent[]): Promise<void>;
}

export interface SystemUnderTest {
  /** Short key used in tables and the results file. */
  key: string;
  /** What exactly one append does. */
  description: string;
  /** Creates the fresh schema or database and opens one connection per writer. */
  setup(writers: number): Promise<void>;
  /** Empties the tables and the writers' in-memory state before a measurement. */
  reset(): Promise<void>;
  writer(index: number): Writer;
  /** Closes the connections and drops what setup created. */
  teardown(): Promise<void>;
}

export const runTag = (): string => randomBytes(4).toString("hex");

const withSearchPath = (schema: string) => `-c search_path=${quoteIdent(schema)},public`;

/** A client whose lost connection fails its queries instead of crashing the process. */
function client(options: pg.ClientConfig): pg.Client {
  const c = new pg.Client(options);
  c.on("error", () => {});
  return c;
}

/** Columns of an unnest insert, built the way appendBatch builds them. */
function eventColumns(batch: PlannedEvent[]): unknown[][] {
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const { envelope: e, streamId, version } of batch) {
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

/** The ceiling: the same columns into a table with a bigint identity key and nothing else. */
export function rawPostgres(connectionString: string, tag: string, indexed = false): SystemUnderTest {
  const key = indexed ? "raw-indexed" : "raw";
  const schema = `bench_${tag}_${key.replace("-", "_")}`;
  let admin: pg.Client | undefined;
  const clients: pg.Client[] = [];
  return {
    key,
    description: indexed
      ? "DIAGNOSTIC: the raw insert into a table with the events table's indexes (unique event_id, unique (stream_id, version), (transaction_id, position)) and xid8 default"
      : "one INSERT INTO raw_events ... SELECT * FROM unnest($1::uuid[], ..., $9::jsonb[]) per append, autocommit (one transaction), pg client",
    async setup(writers) {
      admin = client({ connectionString, application_name: "bench-raw-admin" });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
      await admin.query(`CREATE TABLE ${quoteIdent(schema)}.raw_events (
        position       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id       uuid NOT NULL,
        stream_id      text NOT NULL,
        version        integer NOT NULL,
        aggregate_type text NOT NULL,
        aggregate_id   text NOT NULL,
        event_type     text NOT NULL,
        occurred_at    timestamptz NOT NULL,
        stored_at      timestamptz NOT NULL DEFAULT now(),
        data           jsonb NOT NULL,
        metadata       jsonb NOT NULL)`);
      if (indexed) {
        const t = `${quoteIdent(schema)}.raw_events`;
        await admin.query(`ALTER TABLE ${t} ADD COLUMN transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
          ADD UNIQUE (event_id), ADD UNIQUE (stream_id, version), ADD CHECK (version > 0)`);
        await admin.query(`CREATE INDEX ON ${t} (transaction_id, position)`);
      }
      for (let i = 0; i < writers; i++) {
        const writer = client({
          connectionString,
          application_name: `bench-raw-${i}`,
          options: withSearchPath(schema),
        });
        await writer.connect();
        clients.push(writer);
      }
    },
    async reset() {
      await admin!.query(`TRUNCATE ${quoteIdent(schema)}.raw_events RESTART IDENTITY`);
    },
    writer(index) {
      const writer = clients[index]!;
      return {
        async append(batch) {
          await writer.query(
            `INSERT INTO raw_events (event_id, stream_id, version, aggregate_type, aggregate_id, event_type, occurred_at, data, metadata)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::jsonb[], $9::jsonb[])`,
            eventColumns(batch),
          );
        },
      };
    },
    async teardown() {
      await Promise.all(clients.splice(0).map((c) => c.end().catch(() => {})));
      if (admin) {
        await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => {});
        await admin.end().catch(() => {});
      }
    },
  };
}

/** appendBatch's shape, as the benchmark calls it (inside withTransaction). */
export type AppendFn = (client: PoolClient, batch: AppendBatch) => Promise<CommittedEvent[]>;

/**
 * Eventscope's store, the consumer's path minus Kafka: decideBatch against the heads kept in
 * memory, then appendBatch in one transaction, then the heads are updated.
 */
export function eventscopeStore(
  connectionString: string,
  tag: string,
  variant: { key: string; description: string; append: AppendFn; migrationsDir?: string } = {
    key: "store",
    description:
      "decideBatch (heads in memory, snapshots every 100 events) + withTransaction(pool, c => appendBatch(c, batch)) of services/event-store/src/store.ts as in the tree (see git in the results file)",
    append: appendBatch,
  },
): SystemUnderTest {
  const schema = `bench_${tag}_${variant.key.replaceAll(/[^a-z0-9]/g, "_")}`;
  const pools: Pool[] = [];
  const heads: Map<string, Head>[] = [];
  return {
    key: variant.key,
    description: variant.description,
    async setup(writers) {
      for (let i = 0; i < writers; i++) {
        pools.push(
          createPool({ connectionString, schema, max: 1, applicationName: `bench-${variant.key}-${i}` }),
        );
        heads.push(new Map());
      }
      await migrate(pools[0]!, { schema, dir: variant.migrationsDir ?? STORE_MIGRATIONS });
    },
    async reset() {
      await pools[0]!.query("TRUNCATE events, streams, snapshots, rejected_events RESTART IDENTITY");
      for (const h of heads) h.clear();
    },
    writer(index) {
      const pool = pools[index]!;
      const known = heads[index]!;
      return {
        async append(planned) {
          const decision = decideBatch(
            planned.map((p) => p.envelope),
            (id) => known.get(id),
            SNAPSHOT_EVERY,
          );
          if (decision.batch.rejections.length > 0) {
            const r = decision.batch.rejections[0]!;
            throw new Error(`workload bug: ${r.envelope.eventType} rejected: ${r.code} ${r.reason}`);
          }
          const committed = await withTransaction(pool, (client) => variant.append(client, decision.batch));
          if (committed.length !== planned.length) throw new Error("fewer events committed than appended");
          for (const [id, head] of decision.heads) known.set(id, head);
        },
      };
    },
    async teardown() {
      if (pools[0])
        await pools[0].query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => {});
      await Promise.all(pools.splice(0).map((p) => p.end().catch(() => {})));
    },
  };
}

/**
 * Emmett's PostgreSQL event store in a database of its own (its tables are not schema-aware).
 * Emmett (dumbo) sets pg's global type parsers (int8 as BigInt, json parsed) when its pool is
 * made; here its pool gets those parsers of its own and the globals are put back, so that the
 * other systems keep parsing as the services do (int8 as a string).
 */
export function emmett(connectionString: string, tag: string): SystemUnderTest {
  const database = `bench_emmett_${tag}`;
  let admin: pg.Client | undefined;
  let pool: pg.Pool | undefined;
  let store: PostgresEventStore | undefined;
  return {
    key: "emmett",
    description:
      "eventStore.appendToStream(streamId, events): one stream per call, Emmett's transaction calling emt_append_to_stream (its pool, one connection per concurrent caller)",
    async setup(writers) {
      admin = client({ connectionString, application_name: "bench-emmett-admin" });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
      const url = new URL(connectionString);
      url.pathname = `/${database}`;
      const oids = [pg.types.builtins.INT8, pg.types.builtins.JSONB, pg.types.builtins.JSON];
      const globals = oids.map((oid) => pg.types.getTypeParser(oid, "text"));
      const own = new Map<number, (value: string) => unknown>([
        [pg.types.builtins.INT8, (v) => BigInt(v)],
        [pg.types.builtins.JSONB, (v) => JSON.parse(v)],
        [pg.types.builtins.JSON, (v) => JSON.parse(v)],
      ]);
      pool = new pg.Pool({
        connectionString: url.toString(),
        max: writers + 1,
        application_name: "bench-emmett",
        types: {
          getTypeParser: ((oid: number, format?: "text" | "binary") =>
            own.get(oid) ?? pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
        },
      });
      pool.on("error", () => {});
      store = getPostgreSQLEventStore(url.toString(), {
        connectionOptions: { pool },
        schema: { autoMigration: "CreateOrUpdate" },
      });
      oids.forEach((oid, i) => pg.types.setTypeParser(oid, "text", globals[i]));
      await store.schema.migrate();
      // Open one connection per caller before measuring, as the other systems do.
      await Promise.all(
        Array.from({ length: writers }, (_, i) => store!.streamExists(`warmup-${i}`).then(() => undefined)),
      );
      if (pg.types.getTypeParser(pg.types.builtins.INT8, "text")("1") !== "1") {
        throw new Error(
          "Emmett changed pg's global int8 parser: the store would no longer parse as in production",
        );
      }
    },
    async reset() {
      await store!.schema.dangerous.truncate({ resetSequences: true });
    },
    writer() {
      return {
        async append(batch) {
          const streamId = batch[0]!.streamId;
          const result = await store!.appendToStream(
            streamId,
            batch.map(({ envelope }) => ({
              type: envelope.eventType,
              data: envelope.data,
              metadata: { ...envelope.metadata },
            })),
          );
          if (result.lastEventGlobalPosition === undefined)
            throw new Error("appendToStream returned no position");
        },
      };
    },
    async teardown() {
      await store?.close().catch(() => {});
      await pool?.end().catch(() => {});
      if (admin) {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`).catch(() => {});
        await admin.end().catch(() => {});
      }
    },
  };
}

/** Server facts for the results file. */
export async function serverInfo(connectionString: string): Promise<Record<string, string>> {
  const info = client({ connectionString, application_name: "bench-info" });
  await info.connect();
  try {
    const out: Record<string, string> = {};
    const v = await info.query<{ version: string }>("SELECT version()");
    out.version = v.rows[0]!.version;
    for (const name of [
      "server_version",
      "shared_buffers",
      "synchronous_commit",
      "fsync",
      "wal_level",
      "max_wal_size",
      "checkpoint_timeout",
    ]) {
      const r = await info.query<Record<string, string>>(`SHOW ${name}`);
      out[name] = r.rows[0]![name]!;
    }
    return out;
  } finally {
    await info.end();
  }
}

/** Flushes dirty buffers so that a checkpoint does not land inside one measurement only. */
export async function checkpoint(connectionString: string): Promise<void> {
  const admin = client({ connectionString, application_name: "bench-checkpoint" });
  await admin.connect();
  try {
    await admin.query("CHECKPOINT");
  } finally {
    await admin.end();
  }
}
