import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommittedEvent } from "@eventscope/contracts";
import {
  partitionZero,
  readinessFailure,
  readinessRecovery,
  request,
  serviceUnderTest,
  waitFor,
  whileLocked,
  type ServiceUnderTest,
} from "@eventscope/testkit";

// Guarantee 4 and the gap rule for the read models: committed events produced straight to the
// committed topic (as a store that went wrong, or any client, could) onto one partition.
let s: ServiceUnderTest;
const producer = partitionZero("projection-poison-test");

let position = 0;
const committed = (userId: string, version: number, data: Record<string, unknown> = {}): CommittedEvent => {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    eventType: "tick",
    aggregateType: "User",
    aggregateId: userId,
    timestamp: now,
    version,
    position: String(++position),
    storedAt: now,
    data,
    metadata: { correlationId: randomUUID(), source: "projection-poison-test", acceptedAt: now },
  };
};
const send = (events: CommittedEvent[]) => producer.send(s.topics.committed, events);
const activity = async (users: string[]) =>
  (
    await s.pool.query<{ user_id: string; version: number }>(
      `SELECT a.user_id, (a.data->>'v')::int AS version FROM "${s.name}".user_activity a WHERE user_id = ANY($1) ORDER BY position`,
      [users],
    )
  ).rows;
const deadLetters = async () =>
  (await request(`${s.service.url}/api/projection/dead-letters?limit=1000`)).body.deadLetters as {
    id: string;
    key: string;
    reason: string;
  }[];

beforeAll(async () => {
  s = await serviceUnderTest("projection", "projpoison", {
    EVENT_STORE_URL: "http://127.0.0.1:9",
    LAG_STUCK_AFTER_MS: "2000",
  });
  await producer.connect();
});

afterAll(async () => {
  await producer.disconnect();
  await s?.stop();
});

describe("projection: poison, gaps and stuck partitions", () => {
  it("parks events PostgreSQL refuses and applies the 200 after them on the same partition within seconds", async () => {
    const tag = randomBytes(3).toString("hex");
    const nul = `nul-${tag}`;
    const surrogate = `surrogate-${tag}`;
    const users = Array.from({ length: 20 }, (_, i) => `after-${tag}-${i}`);
    const after = Array.from({ length: 200 }, (_, i) =>
      committed(users[i % 20]!, Math.floor(i / 20) + 1, { v: Math.floor(i / 20) + 1 }),
    );
    const started = Date.now();
    await send([
      committed(nul, 1, { note: "a\u0000b" }),
      committed(surrogate, 1, { note: "\ud800" }),
      ...after,
    ]);
    await waitFor(
      async () => (await activity(users)).length === 200,
      15_000,
      "the 200 events after the poison",
    );
    console.info(`200 events after the poison applied in ${(Date.now() - started) / 1000} s`);
    const rows = await activity(users);
    for (const user of users)
      expect(rows.filter((r) => r.user_id === user).map((r) => r.version)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ]);
    const parked = await waitFor(async () => {
      const list = (await deadLetters()).filter((d) => d.key === nul || d.key === surrogate);
      return list.length === 2 ? list : undefined;
    });
    expect(parked.find((d) => d.key === nul)!.reason).toMatch(/^unappliable: .*\(SQLSTATE 22P05\)$/);
    expect(parked.find((d) => d.key === surrogate)!.reason).toMatch(/^unappliable: .*\(SQLSTATE 22P02\)$/);
    expect(await activity([nul, surrogate])).toEqual([]);
    const metrics = await (await fetch(`${s.service.url}/metrics`)).text();
    expect(metrics).toMatch(/events_consume_errors_total\{[^}]*reason="poison"[^}]*\} 2/);
  });

  it("parks a version that comes before the ones missing below it (a gap), skips a duplicate, and applies it once replayed", async () => {
    const user = `gap-${randomBytes(3).toString("hex")}`;
    const [v1, v2, v3, v4, v5] = [1, 2, 3, 4, 5].map((v) => committed(user, v, { v }));
    // 4 and 5 arrive before 3 (what a store republishing out of order would do); 2 comes twice.
    await send([v1!, v2!, v4!, v5!, v2!, v3!]);
    await waitFor(async () => (await activity([user])).length === 3, 15_000, "versions 1..3");
    const parked = await waitFor(async () => {
      const list = (await deadLetters()).filter((d) => d.key === user);
      return list.length === 2 ? list : undefined;
    });
    expect(parked.map((d) => d.reason)).toEqual([
      `gap: User-${user} is at version 2, version 4 came before 3`,
      `gap: User-${user} is at version 2, version 5 came before 3`,
    ]);
    expect((await activity([user])).map((r) => r.version)).toEqual([1, 2, 3]);
    // Replayed in order once the gap is filled, they apply: nothing was lost.
    for (const letter of parked)
      expect(
        (
          await request(`${s.service.url}/api/projection/dead-letters/${letter.id}/replay`, {
            method: "POST",
          })
        ).status,
      ).toBe(200);
    await waitFor(
      async () => (await activity([user])).length === 5,
      15_000,
      "versions 4 and 5 after the replay",
    );
    expect((await activity([user])).map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);
  });

  it("fails readiness while a partition is stuck behind a lock, naming it, and recovers once it moves", async () => {
    const user = `locked-${randomBytes(3).toString("hex")}`;
    await send([committed(user, 1, { v: 1 })]);
    await waitFor(async () => (await activity([user])).length === 1, 15_000, "version 1");
    expect((await request(`${s.service.url}/health/ready`)).status).toBe(200);
    // Another session holds the stream's row: the consumer's next batch waits on it.
    const stuck = await whileLocked(
      s.pool,
      (holder) =>
        holder.query(`SELECT * FROM "${s.name}".consumed_streams WHERE stream_id = $1 FOR UPDATE`, [
          `User-${user}`,
        ]),
      async () => {
        await send([committed(user, 2, { v: 2 })]);
        return readinessFailure(s.service.url);
      },
    );
    expect(stuck).toMatchObject({
      status: "not ready",
      checks: { partitions: false, consumer: true, postgres: true },
      details: {
        partitions: {
          stuck: [{ group: s.groupId, topic: s.topics.committed, partition: 0, lag: 1 }],
        },
      },
    });
    console.info("readiness while stuck:", JSON.stringify(stuck));
    await readinessRecovery(s.service.url);
    expect((await activity([user])).map((r) => r.version)).toEqual([1, 2]);
  });
});
