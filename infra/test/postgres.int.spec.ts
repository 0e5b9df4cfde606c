import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { testEnv } from "../src/test-env.ts";

describe("PostgreSQL", () => {
  const schema = `infra_test_${randomUUID().replaceAll("-", "")}`;
  const pool = new pg.Pool({ connectionString: testEnv.databaseUrl, max: 4 });

  beforeAll(async () => {
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(
      `CREATE TABLE ${schema}.events (
         position bigserial PRIMARY KEY,
         stream_id text NOT NULL,
         version int NOT NULL,
         payload jsonb NOT NULL,
         UNIQUE (stream_id, version))`,
    );
  });

  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it("runs PostgreSQL 15 with fsync on, as the eventscope role", async () => {
    const r = await pool.query<{ version: string; fsync: string; usr: string; db: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_user AS usr, current_database() AS db",
    );
    expect(r.rows[0]?.version).toMatch(/^15\./);
    expect(r.rows[0]?.fsync).toBe("on");
    expect(r.rows[0]?.usr).toBe("eventscope");
    expect(r.rows[0]?.db).toBe("eventscope");
  });

  it("compiles no statement with JIT (jit off: the platform's statements are short ones)", async () => {
    const r = await pool.query<{ jit: string }>("SELECT current_setting('jit') AS jit");
    expect(r.rows[0]?.jit).toBe("off");
    // A plan priced far past every JIT threshold runs without being compiled.
    const client = await pool.connect();
    try {
      await client.query("SET enable_seqscan = off");
      const plan = await client.query<{ "QUERY PLAN": string }>(
        `EXPLAIN (ANALYZE) SELECT count(*) FROM ${schema}.events WHERE payload::text LIKE '%x%'`,
      );
      const text = plan.rows.map((row) => row["QUERY PLAN"]).join("\n");
      expect(text).toContain("cost=10000000000");
      expect(text).not.toContain("JIT");
    } finally {
      client.release(true);
    }
  });

  it("reads back rows written in one transaction, in order", async () => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO ${schema}.events (stream_id, version, payload)
         SELECT 'order-1', v, jsonb_build_object('n', v) FROM generate_series(1, 100) AS v`,
      );
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    const r = await pool.query<{ version: number; payload: { n: number } }>(
      `SELECT version, payload FROM ${schema}.events WHERE stream_id = $1 ORDER BY position`,
      ["order-1"],
    );
    expect(r.rows).toHaveLength(100);
    expect(r.rows.map((row) => row.payload.n)).toEqual(r.rows.map((row) => row.version));
    expect(r.rows[99]?.version).toBe(100);
  });

  it("rejects a duplicate stream version and leaves nothing of the failed transaction", async () => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO ${schema}.events (stream_id, version, payload) VALUES ('order-2', 1, '{}')`,
      );
      await expect(
        client.query(
          `INSERT INTO ${schema}.events (stream_id, version, payload) VALUES ('order-2', 1, '{}')`,
        ),
      ).rejects.toMatchObject({ code: "23505" });
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }
    const r = await pool.query(`SELECT 1 FROM ${schema}.events WHERE stream_id = 'order-2'`);
    expect(r.rowCount).toBe(0);
  });
});
