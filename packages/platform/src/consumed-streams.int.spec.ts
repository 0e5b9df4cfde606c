import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrl, dropSchema, testPool, uniqueName } from "@eventscope/testkit";
import { advanceConsumedVersions, lockConsumedVersions, saveConsumedVersions } from "./consumed-streams.ts";
import { createPool, migrate, withTransaction, type Pool } from "./postgres.ts";
import { sequenceEvents } from "./stream-sequence.ts";

// The one statement that locks, reads and advances consumed_streams against the real PostgreSQL:
// whatever the recorded heads, it writes what sequenceEvents decides, as the two statements did.
const admin = testPool();
const schema = uniqueName("consumed");
let pool: Pool;
let dir: string;

beforeAll(async () => {
  pool = createPool({ connectionString: databaseUrl, schema, max: 4 });
  dir = await mkdtemp(join(tmpdir(), "migrations-"));
  await migrate(pool, { schema, dir, platform: ["consumed_streams"] });
});

afterAll(async () => {
  await pool.end();
  await rm(dir, { recursive: true, force: true });
  await dropSchema(admin, schema);
  await admin.end();
});

const event = (id: string, version: number, storedAt?: string) => ({
  aggregateType: "User",
  aggregateId: id,
  version,
  ...(storedAt ? { storedAt } : {}),
});
type Event = ReturnType<typeof event>;

const heads = async (ids: string[]) =>
  new Map(
    (
      await pool.query<{ stream_id: string; version: number }>(
        "SELECT stream_id, version FROM consumed_streams WHERE stream_id = ANY($1) ORDER BY stream_id",
        [ids.map((id) => `User-${id}`)],
      )
    ).rows.map((r) => [r.stream_id, r.version]),
  );

describe("advanceConsumedVersions", () => {
  it("records the next versions, skips duplicates and leaves a gap's head where it was", async () => {
    const p = uniqueName("s");
    await pool.query("INSERT INTO consumed_streams VALUES ($1, 4), ($2, 2), ($3, 9)", [
      `User-${p}a`,
      `User-${p}b`,
      `User-${p}c`,
    ]);
    const batch = [
      event(`${p}a`, 5), // next
      event(`${p}b`, 5), // gap: 3 expected
      event(`${p}a`, 6),
      event(`${p}c`, 8), // duplicates
      event(`${p}c`, 9),
      event(`${p}c`, 10), // then next
      event(`${p}d`, 1), // a new stream
      event(`${p}e`, 3), // a new stream with a gap
    ];
    const sequenced = await advanceConsumedVersions(pool, batch);
    expect(sequenced?.next.map((e) => `${e.aggregateId}:${e.version}`)).toEqual([
      `${p}a:5`,
      `${p}a:6`,
      `${p}c:10`,
      `${p}d:1`,
    ]);
    expect(sequenced?.duplicates.map((e) => e.version)).toEqual([8, 9]);
    expect(sequenced?.gaps.map((g) => [g.event.aggregateId, g.expected])).toEqual([
      [`${p}b`, 3],
      [`${p}e`, 1],
    ]);
    expect(await heads([`${p}a`, `${p}b`, `${p}c`, `${p}d`, `${p}e`])).toEqual(
      new Map([
        [`User-${p}a`, 6],
        [`User-${p}b`, 2],
        [`User-${p}c`, 10],
        [`User-${p}d`, 1],
      ]),
    );
  });

  it("writes the heads the lock-sequence-save path writes, for every recorded head of a stream", async () => {
    for (let held = 0; held <= 6; held++) {
      const p = uniqueName("h");
      const a = [event(`${p}x`, 3), event(`${p}x`, 4), event(`${p}x`, 5)];
      const b = a.map((e) => ({ ...e, aggregateId: `${p}y` }));
      if (held > 0)
        await pool.query("INSERT INTO consumed_streams VALUES ($1, $3), ($2, $3)", [
          `User-${p}x`,
          `User-${p}y`,
          held,
        ]);
      const one = await advanceConsumedVersions(pool, a);
      const two = await withTransaction(pool, async (client) => {
        const s = sequenceEvents(b, await lockConsumedVersions(client, b));
        await saveConsumedVersions(client, s.heads);
        return s;
      });
      const got = await heads([`${p}x`, `${p}y`]);
      expect(got.get(`User-${p}x`), `held ${held}`).toBe(got.get(`User-${p}y`));
      expect(one?.next.map((e) => e.version)).toEqual(two.next.map((e) => e.version));
      expect(one?.gaps.length).toBe(two.gaps.length);
    }
  });

  it("takes up a stream stored before versions were recorded at its first version", async () => {
    const p = uniqueName("t");
    const since = Date.parse("2026-06-01T00:00:00Z");
    const batch: Event[] = [
      event(`${p}old`, 7, "2026-05-01T00:00:00Z"),
      event(`${p}new`, 7, "2026-07-01T00:00:00Z"),
    ];
    const sequenced = await advanceConsumedVersions(pool, batch, { trackedSince: since });
    expect(sequenced?.next.map((e) => e.aggregateId)).toEqual([`${p}old`]);
    expect(sequenced?.gaps.map((g) => g.event.aggregateId)).toEqual([`${p}new`]);
    expect(await heads([`${p}old`, `${p}new`])).toEqual(new Map([[`User-${p}old`, 7]]));
  });

  it("writes nothing and answers undefined for a batch whose versions of a stream are not ascending by one", async () => {
    const p = uniqueName("r");
    expect(
      await advanceConsumedVersions(pool, [event(`${p}a`, 1), event(`${p}a`, 2), event(`${p}a`, 1)]),
    ).toBe(undefined);
    expect(await heads([`${p}a`])).toEqual(new Map());
  });

  it("is taken back with the transaction it ran in", async () => {
    const p = uniqueName("x");
    await expect(
      withTransaction(pool, async (client) => {
        await advanceConsumedVersions(client, [event(`${p}a`, 1)]);
        throw new Error("the work failed");
      }),
    ).rejects.toThrow("the work failed");
    expect(await heads([`${p}a`])).toEqual(new Map());
  });

  it("makes a second member that held the same streams wait, then see what the first recorded", async () => {
    const p = uniqueName("w");
    await pool.query("INSERT INTO consumed_streams VALUES ($1, 0)", [`User-${p}a`]);
    const first = await pool.connect();
    try {
      await first.query("BEGIN");
      await advanceConsumedVersions(first, [event(`${p}a`, 1), event(`${p}a`, 2)]);
      const second = advanceConsumedVersions(pool, [event(`${p}a`, 1), event(`${p}a`, 2), event(`${p}a`, 3)]);
      await new Promise((r) => setTimeout(r, 200));
      await first.query("COMMIT");
      const sequenced = await second;
      expect(sequenced?.duplicates.map((e) => e.version)).toEqual([1, 2]);
      expect(sequenced?.next.map((e) => e.version)).toEqual([3]);
      expect(await heads([`${p}a`])).toEqual(new Map([[`User-${p}a`, 3]]));
    } finally {
      first.release();
    }
  });
});
