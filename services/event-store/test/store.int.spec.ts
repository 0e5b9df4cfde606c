import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeEnvelope, type EventEnvelope } from "@eventscope/contracts";
import { createMetrics, createPool, migrate, withTransaction, type Pool } from "@eventscope/platform";
import { databaseUrl, dropSchema, testPool, uniqueName, waitFor } from "@eventscope/testkit";
import { decideBatch, type Head } from "../src/decide.ts";
import { appendBatch } from "../src/store.ts";
import { createStoreSizeCounter } from "../src/gauges.ts";
import { readFeed, replay } from "../src/queries.ts";

// The store's PostgreSQL layer on its own: the gap-safe feed and the two replay strategies.
const schema = uniqueName("store");
let pool: Pool;
const admin = testPool();
const heads = new Map<string, Head>();

const task = (
  aggregateId: string,
  eventType: string,
  data: Record<string, unknown>,
  timestamp?: string,
): EventEnvelope =>
  normalizeEnvelope(
    { eventType, aggregateType: "Task", aggregateId, data, ...(timestamp ? { timestamp } : {}) },
    { source: "test" },
  );

async function append(events: EventEnvelope[], client?: Parameters<typeof appendBatch>[0]) {
  const { batch, heads: next } = decideBatch(events, (id) => heads.get(id), 3);
  const committed = client
    ? await appendBatch(client, batch)
    : await withTransaction(pool, (c) => appendBatch(c, batch));
  for (const [id, head] of next) heads.set(id, head);
  return committed;
}

beforeAll(async () => {
  pool = createPool({ connectionString: databaseUrl, schema });
  await migrate(pool, { schema, dir: fileURLToPath(new URL("../src/migrations", import.meta.url)) });
});

afterAll(async () => {
  await pool.end();
  await dropSchema(admin, schema);
  await admin.end();
});

describe("event store (PostgreSQL)", () => {
  it("never lets a feed reader skip an event whose position was taken before a concurrent commit", async () => {
    await append([task("feed-0", "TaskCreated", { title: "before" })]);
    const start = await readFeed(pool, "0:0", 1000);
    // A slow writer takes a position first and commits last.
    const slow = await pool.connect();
    await slow.query("BEGIN");
    const slowEvents = await append([task(`slow-${randomUUID()}`, "TaskCreated", { title: "slow" })], slow);
    const fastEvents = await append([task(`fast-${randomUUID()}`, "TaskCreated", { title: "fast" })]);
    expect(BigInt(slowEvents[0]!.position)).toBeLessThan(BigInt(fastEvents[0]!.position));
    // While the slow transaction runs, the fast event is not served yet: serving it would let a
    // reader's cursor move past the slow one's smaller position.
    const during = await readFeed(pool, start.nextCursor, 1000);
    expect(during.events.map((e) => e.eventId)).not.toContain(fastEvents[0]!.eventId);
    await slow.query("COMMIT");
    slow.release();
    // The horizon is cluster-wide: another session's transaction may hold it back a moment.
    const after = await waitFor(
      async () => {
        const page = await readFeed(pool, during.nextCursor, 1000);
        const ids = page.events.map((e) => e.eventId);
        return ids.includes(slowEvents[0]!.eventId) && ids.includes(fastEvents[0]!.eventId) ? ids : undefined;
      },
      10_000,
      "both events in the feed",
    );
    expect(after.indexOf(slowEvents[0]!.eventId)).toBeLessThan(after.indexOf(fastEvents[0]!.eventId));
  });

  it("rebuilds the same state by full replay and by snapshot plus partial replay, at any version or time", async () => {
    const id = `replay-${randomUUID()}`;
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const at = (i: number) => new Date(t0 + i * 60_000).toISOString();
    await append([task(id, "TaskCreated", { title: "v1" }, at(1))]);
    for (let i = 2; i <= 8; i++) await append([task(id, "TaskUpdated", { title: `v${i}` }, at(i))]);
    const full = await replay(pool, "Task", id, { strategy: "full" });
    const snap = await replay(pool, "Task", id, { strategy: "snapshot" });
    expect(full!.state).toEqual(snap!.state);
    expect(full!.version).toBe(8);
    expect(full!.eventsReplayed).toBe(8);
    // Snapshots every 3 events: the latest at version 6, so two events are replayed after it.
    expect(snap!.snapshotVersion).toBe(6);
    expect(snap!.eventsReplayed).toBe(2);
    const v4 = await replay(pool, "Task", id, { strategy: "snapshot", version: 4 });
    expect(v4!.state).toMatchObject({ title: "v4" });
    expect(v4!.snapshotVersion).toBe(3);
    const atTime = await replay(pool, "Task", id, { strategy: "full", at: at(5) });
    expect(atTime!.version).toBe(5);
    expect(atTime!.state).toMatchObject({ title: "v5" });
    const recent = await replay(pool, "Task", id, { strategy: "snapshot", fromDate: at(7) });
    expect(recent!.history.map((e) => e.version)).toEqual([7, 8]);
    expect(recent!.state).toEqual(full!.state);
    expect(await replay(pool, "Task", `missing-${randomUUID()}`, { strategy: "full" })).toBeNull();
  });
  it("counts events and streams exactly without counting the tables again, a late commit below the highest position included", async () => {
    const exact = async () => {
      const { rows } = await pool.query<{ events: string; streams: string }>(
        "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM streams) AS streams",
      );
      return { events: Number(rows[0]!.events), streams: Number(rows[0]!.streams) };
    };
    const metrics = createMetrics("store-size");
    const counter = createStoreSizeCounter(pool, metrics);
    expect(await counter.refresh()).toEqual(await exact());
    const id = `size-${randomUUID()}`;
    await append([task(id, "TaskCreated", { title: "one" }), task(id, "TaskRenamed", { title: "two" })]);
    expect(await counter.refresh()).toEqual(await exact());
    // A writer takes a position, others commit above it and are counted (and settle), then it commits.
    const slow = await pool.connect();
    try {
      await slow.query("BEGIN");
      await append([task(`size-slow-${randomUUID()}`, "TaskCreated", { title: "slow" })], slow);
      for (let i = 0; i < 3; i++) {
        await append([task(`size-fast-${randomUUID()}`, "TaskCreated", { title: "fast" })]);
        expect(await counter.refresh()).toEqual(await exact());
      }
      await slow.query("COMMIT");
    } finally {
      slow.release();
    }
    for (let i = 0; i < 3; i++) expect(await counter.refresh()).toEqual(await exact());
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`^event_store_size\\{[^}]*\\} ${(await exact()).events}$`, "m"));
  });
});
