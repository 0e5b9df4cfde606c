import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { databaseUrl, dropSchema, testPool, uniqueName } from "@eventscope/testkit";
import { consumedStreamsSince } from "./consumed-streams.ts";
import { createPool, migrate, type Pool } from "./postgres.ts";

// migrate against the real PostgreSQL: the platform's tables come before a service's own files, in
// a new schema and in one made when each service declared them itself.
const admin = testPool();
const schemas: string[] = [];
const pools: Pool[] = [];
const dirs: string[] = [];

async function serviceDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "migrations-"));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return dir;
}

function schemaPool(): { schema: string; pool: Pool } {
  const schema = uniqueName("migrate");
  schemas.push(schema);
  const pool = createPool({ connectionString: databaseUrl, schema, max: 2 });
  pools.push(pool);
  return { schema, pool };
}

const tables = async (pool: Pool, schema: string) =>
  (
    await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
      [schema],
    )
  ).rows.map((r) => r.table_name);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  for (const schema of schemas) await dropSchema(admin, schema);
  await admin.end();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("migrate", () => {
  it("creates the platform's tables first, so a service's own files can use them, and records each once", async () => {
    const { schema, pool } = schemaPool();
    const dir = await serviceDir({
      "001_things.sql": "CREATE TABLE things (id int PRIMARY KEY);",
      "002_seed.sql": "INSERT INTO consumed_streams (stream_id, version) VALUES ('Order/1', 3);",
    });
    const applied = await migrate(pool, { schema, dir, platform: ["dead_letters", "consumed_streams"] });
    expect(applied).toEqual([
      "platform_dead_letters.sql",
      "platform_consumed_streams.sql",
      "001_things.sql",
      "002_seed.sql",
    ]);
    expect(await tables(pool, schema)).toEqual([
      "consumed_streams",
      "dead_letters",
      "schema_migrations",
      "things",
    ]);
    expect(await migrate(pool, { schema, dir, platform: ["dead_letters", "consumed_streams"] })).toEqual([]);
    const since = await consumedStreamsSince(pool);
    expect(since).toBeGreaterThan(Date.now() - 60_000);
  });

  it("takes a schema whose service created the tables itself as it is, and keeps when it began recording", async () => {
    const { schema, pool } = schemaPool();
    const old = await serviceDir({
      "001_service.sql":
        "CREATE TABLE dead_letters (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, topic text NOT NULL, " +
        'partition integer NOT NULL, "offset" bigint NOT NULL, key text, value bytea, headers jsonb NOT NULL, ' +
        "reason text NOT NULL, parked_at timestamptz NOT NULL DEFAULT now(), replayed_at timestamptz, " +
        'UNIQUE (topic, partition, "offset"));',
      "002_consumed_streams.sql":
        "CREATE TABLE consumed_streams (stream_id text PRIMARY KEY, version integer NOT NULL);",
    });
    await migrate(pool, { schema, dir: old });
    await pool.query("UPDATE schema_migrations SET applied_at = '2026-01-02T00:00:00Z'");
    await pool.query("INSERT INTO consumed_streams VALUES ('Order/1', 7)");
    // The same service's files today: its tables' DDL gone (the files kept their names).
    const now = await serviceDir({ "001_service.sql": "SELECT 1;", "002_consumed_streams.sql": "SELECT 1;" });
    const applied = await migrate(pool, { schema, dir: now, platform: ["dead_letters", "consumed_streams"] });
    expect(applied).toEqual(["platform_dead_letters.sql", "platform_consumed_streams.sql"]);
    expect((await pool.query("SELECT stream_id, version FROM consumed_streams")).rows).toEqual([
      { stream_id: "Order/1", version: 7 },
    ]);
    expect(await consumedStreamsSince(pool)).toBe(Date.parse("2026-01-02T00:00:00Z"));
  });

  it("creates none of the platform's tables a service does not ask for", async () => {
    const { schema, pool } = schemaPool();
    const dir = await serviceDir({ "001_things.sql": "CREATE TABLE things (id int PRIMARY KEY);" });
    await migrate(pool, { schema, dir, platform: ["dead_letters"] });
    expect(await tables(pool, schema)).toEqual(["dead_letters", "schema_migrations", "things"]);
    expect(await consumedStreamsSince(pool)).toBeUndefined();
  });
});

describe("createPool", () => {
  // What EXPLAIN EXECUTE shows of a prepared lookup: the parameter itself (a generic plan, made
  // once) or the values of the call (a custom plan, made anew for every call).
  const planOf = async (pool: Pool) => {
    const client = await pool.connect();
    try {
      await client.query("PREPARE lookup(text[]) AS SELECT * FROM pg_class WHERE relname = ANY($1)");
      const { rows } = await client.query<{ "QUERY PLAN": string }>(
        "EXPLAIN EXECUTE lookup('{pg_class,pg_type}')",
      );
      await client.query("DEALLOCATE lookup");
      return rows.map((r) => r["QUERY PLAN"]).join("\n");
    } finally {
      client.release();
    }
  };

  it("plans a prepared statement once per connection with genericPlans, with each call's values without", async () => {
    const generic = createPool({
      connectionString: databaseUrl,
      schema: "public",
      max: 1,
      genericPlans: true,
    });
    const custom = createPool({ connectionString: databaseUrl, schema: "public", max: 1 });
    pools.push(generic, custom);
    expect(await planOf(generic)).toContain("$1");
    const plan = await planOf(custom);
    expect(plan).not.toContain("$1");
    expect(plan).toContain("pg_type");
  });

  it("plans a key lookup on its index with genericPlans even where the table is small enough to scan", async () => {
    // A table of 20 analysed rows, where a sequential scan is the cheaper guess: a plan made there
    // is kept for the connection's life, however large the table grows after it.
    const schema = uniqueName("plans");
    schemas.push(schema);
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.t (id uuid PRIMARY KEY, data text NOT NULL)`);
    await admin.query(
      `INSERT INTO ${schema}.t SELECT gen_random_uuid(), repeat('x', 300) FROM generate_series(1, 20)`,
    );
    await admin.query(`ANALYZE ${schema}.t`);
    const generic = createPool({ connectionString: databaseUrl, schema, max: 1, genericPlans: true });
    pools.push(generic);
    const client = await generic.connect();
    const planOfLookup = async (name: string) => {
      await client.query(`PREPARE ${name}(uuid[]) AS SELECT * FROM t WHERE id = ANY($1)`);
      const { rows } = await client.query<{ "QUERY PLAN": string }>(
        `EXPLAIN EXECUTE ${name}('{00000000-0000-0000-0000-000000000001}')`,
      );
      return rows.map((r) => r["QUERY PLAN"]).join("\n");
    };
    try {
      const plan = await planOfLookup("on_index");
      expect(plan).toContain("Index Scan using t_pkey");
      expect(plan).not.toContain("Seq Scan");
      // Where no index serves, the scan stays, priced past the JIT thresholds: it is not compiled.
      // The platform's own server runs without JIT, so the pool must set it itself (for a server
      // that has it on): its connection's settings come from the client, not the server's file.
      const { rows: settings } = await client.query<{ name: string; setting: string; source: string }>(
        "SELECT name, setting, source FROM pg_settings WHERE name IN ('jit', 'enable_seqscan', 'plan_cache_mode') ORDER BY name",
      );
      expect(settings).toEqual([
        { name: "enable_seqscan", setting: "off", source: "client" },
        { name: "jit", setting: "off", source: "client" },
        { name: "plan_cache_mode", setting: "force_generic_plan", source: "client" },
      ]);
      await client.query("PREPARE unindexed(text) AS SELECT count(*) FROM t WHERE data LIKE $1");
      const { rows } = await client.query<{ "QUERY PLAN": string }>(
        "EXPLAIN (ANALYZE) EXECUTE unindexed('%y%')",
      );
      const scan = rows.map((r) => r["QUERY PLAN"]).join("\n");
      expect(scan).toContain("Seq Scan on t");
      expect(scan).not.toContain("JIT");
      // The setting is what decides: with sequential scans allowed the same lookup scans the table.
      await client.query("SET enable_seqscan = on");
      expect(await planOfLookup("scanned")).toContain("Seq Scan on t");
    } finally {
      client.release(true);
    }
  });
});
