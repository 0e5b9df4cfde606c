import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// bigint columns (positions) come back as strings: exact, and JSON-safe.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);

export interface PoolOptions {
  connectionString: string;
  schema: string;
  max?: number;
  applicationName?: string;
  /**
   * Plans every prepared statement once per connection, whatever its parameters
   * (`plan_cache_mode=force_generic_plan`): for a pool that runs only named statements looking up
   * keys, where PostgreSQL would otherwise plan anew on every call (see consumerPool).
   *
   * Such a plan is made on the first call, often against the empty or never-analysed tables of a
   * first start, and kept while they grow: there a sequential scan is the cheaper guess (the event
   * store's redelivery lookup by `event_id = ANY($1)` was planned as one over `events` and took
   * 1.1 ms a batch while the table grew to 8,500 rows, against 0.04 ms through its unique index).
   * So such a pool also runs with `enable_seqscan=off`, which leaves a sequential scan only where
   * no index serves the statement: its key lookups are index scans at every size of their tables.
   * A scan that stays is priced past PostgreSQL's JIT thresholds, and compiling one took 140-320 ms
   * for a table of six rows (the consumers' look at schema_migrations): these pools also run with
   * `jit=off`, which short statements never gain from.
   */
  genericPlans?: boolean;
}

/** A pool whose connections work in the service's own schema. */
export function createPool(options: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "eventscope",
    options:
      `-c search_path=${quoteIdent(options.schema)},public` +
      (options.genericPlans ? " -c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c jit=off" : ""),
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its server must not crash the process; the next checkout reconnects.
  pool.on("error", () => {});
  return pool;
}

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** The tables the platform's own code keeps in a service's schema (their DDL: ./migrations). */
export type PlatformTable = "dead_letters" | "consumed_streams";

const platformMigrations = fileURLToPath(new URL("./migrations", import.meta.url));

export interface MigrateOptions {
  schema: string;
  /** The service's own versioned SQL files. */
  dir: string;
  /** The platform's tables the service uses: created first, recorded as `platform_<table>.sql`. */
  platform?: PlatformTable[];
}

/**
 * Applies the SQL files the schema has not seen, each in its own transaction, under an advisory
 * lock so that two instances starting at once do not race: first the platform's tables the service
 * uses, then the versioned files of `dir` (`001_name.sql`, ...). `{{schema}}` in a file is replaced
 * by the quoted schema name.
 */
export async function migrate(pool: Pool, options: MigrateOptions): Promise<string[]> {
  const own = (await readdir(options.dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const files = [
    ...(options.platform ?? []).map((table) => ({
      version: `platform_${table}.sql`,
      path: join(platformMigrations, `${table}.sql`),
    })),
    ...own.map((file) => ({ version: file, path: join(options.dir, file) })),
  ];
  const schema = quoteIdent(options.schema);
  const applied: string[] = [];
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [`eventscope-migrate:${options.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query<{ version: string }>(`SELECT version FROM ${schema}.schema_migrations`)).rows.map(
        (r) => r.version,
      ),
    );
    for (const { version, path } of files) {
      if (done.has(version)) continue;
      const sql = (await readFile(path, "utf8")).replaceAll("{{schema}}", schema);
      await client.query("BEGIN");
      try {
        await client.query(`SET LOCAL search_path = ${schema}, public`);
        await client.query(sql);
        await client.query(`INSERT INTO ${schema}.schema_migrations (version) VALUES ($1)`, [version]);
        await client.query("COMMIT");
        applied.push(version);
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${version} failed: ${(error as Error).message}`, { cause: error });
      }
    }
  } finally {
    await client
      .query("SELECT pg_advisory_unlock(hashtext($1))", [`eventscope-migrate:${options.schema}`])
      .catch(() => {});
    client.release();
  }
  return applied;
}

export async function databaseReady(pool: Pool): Promise<boolean> {
  try {
    await pool.query("SELECT 1");
    return true;
  } catch {
    return false;
  }
}

/** The service's pool on its own schema, with its versioned migrations applied. */
export async function openDatabase(options: {
  service: string;
  connectionString: string;
  schema: string;
  poolSize: number;
  migrations: string;
  /** The platform's tables the service uses (see migrate). */
  platform?: PlatformTable[];
  onApplied?: (files: string[]) => void;
}): Promise<Pool> {
  const pool = createPool({
    connectionString: options.connectionString,
    schema: options.schema,
    max: options.poolSize,
    applicationName: options.service,
  });
  const applied = await migrate(pool, {
    schema: options.schema,
    dir: options.migrations,
    ...(options.platform ? { platform: options.platform } : {}),
  });
  if (applied.length > 0) options.onApplied?.(applied);
  return pool;
}
