import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventEnvelope } from "@eventscope/contracts";
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

// Guarantee 4 for the event store: events that PostgreSQL refuses for good, produced straight
// to events.ingest (around the producer's checks, as any client can), onto one partition.
let s: ServiceUnderTest;
const producer = partitionZero("store-poison-test");

const activity = (userId: string, data: Record<string, unknown> = {}): EventEnvelope => {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    eventType: "tick",
    aggregateType: "User",
    aggregateId: userId,
    timestamp: now,
    data,
    metadata: { correlationId: randomUUID(), source: "store-poison-test", userId, acceptedAt: now },
  };
};
const send = (events: EventEnvelope[]) => producer.send(s.topics.ingest, events);
const stored = async (users: string[]) =>
  (
    await s.pool.query<{ aggregate_id: string; version: number }>(
      `SELECT aggregate_id, version FROM "${s.name}".events WHERE aggregate_id = ANY($1) ORDER BY aggregate_id, version`,
      [users],
    )
  ).rows;
const rejection = async (eventId: string) =>
  (
    await s.pool.query<{ code: string; reason: string; aggregate_id: string }>(
      `SELECT code, reason, aggregate_id FROM "${s.name}".rejected_events WHERE event_id = $1`,
      [eventId],
    )
  ).rows[0];

beforeAll(async () => {
  s = await serviceUnderTest("event-store", "storepoison", { LAG_STUCK_AFTER_MS: "2000" });
  await producer.connect();
});

afterAll(async () => {
  await producer.disconnect();
  await s?.stop();
});

describe("event store: poison and stuck partitions", () => {
  it("rejects events PostgreSQL refuses with the reason and stores the 200 after them on the same partition within seconds", async () => {
    const tag = randomBytes(3).toString("hex");
    const poison = [
      activity(`nul-${tag}`, { note: "a\u0000b" }),
      activity(`surrogate-${tag}`, { note: "\ud800" }),
      activity(`id-nul-${tag}\u0000`),
    ];
    // Nothing can be recorded under an event id that is no UUID: parked instead.
    const noId = { ...activity(`no-id-${tag}`, { note: "a\u0000b" }), eventId: `not-a-uuid-${tag}` };
    const users = Array.from({ length: 20 }, (_, i) => `after-${tag}-${i}`);
    const after = Array.from({ length: 200 }, (_, i) => activity(users[i % 20]!, { i }));
    const started = Date.now();
    await send([...poison, noId, ...after]);
    await waitFor(
      async () => (await stored(users)).length === 200,
      15_000,
      "the 200 events after the poison",
    );
    console.info(`200 events after the poison stored in ${(Date.now() - started) / 1000} s`);
    const rows = await stored(users);
    for (const user of users)
      expect(rows.filter((r) => r.aggregate_id === user).map((r) => r.version)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ]);
    for (const event of poison) {
      const r = await waitFor(
        () => rejection(event.eventId),
        10_000,
        `the rejection of ${event.aggregateId}`,
      );
      // Refused at the door (INVALID_EVENT) where the schema already forbids it, else by PostgreSQL.
      expect(["UNSTORABLE", "INVALID_EVENT"]).toContain(r.code);
      console.info(`rejected: ${r.code}: ${r.reason}`);
      if (r.code === "UNSTORABLE")
        expect(r.reason).toMatch(/^PostgreSQL refused the event: .*\(SQLSTATE 22\w{3}\)$/);
    }
    const { rows: none } = await s.pool.query(
      `SELECT 1 FROM "${s.name}".events WHERE event_id = ANY($1::uuid[])`,
      [poison.map((p) => p.eventId)],
    );
    expect(none).toEqual([]);
    const parked = await waitFor(async () => {
      const res = await request(`${s.service.url}/api/eventstore/dead-letters`);
      return (
        res.body.deadLetters as { value: string; reason: string; headers: Record<string, string> }[]
      ).find((d) => d.headers.ce_id === noId.eventId);
    });
    expect(parked.reason).toBe("malformed: the event id (ce_id) is not a UUID");
  });

  it("fails readiness while a partition is stuck behind a lock, naming it, and recovers once it moves", async () => {
    const user = `locked-${randomBytes(3).toString("hex")}`;
    await send([activity(user)]);
    await waitFor(async () => (await stored([user])).length === 1, 15_000, "version 1");
    expect((await request(`${s.service.url}/health/ready`)).status).toBe(200);
    // Another session is inserting the stream's version 2: the store's append waits on the unique index.
    const stuck = await whileLocked(
      s.pool,
      (holder) =>
        holder.query(
          `INSERT INTO "${s.name}".events (event_id, stream_id, version, aggregate_type, aggregate_id, event_type, occurred_at, data, metadata)
         VALUES ($1, $2, 2, 'User', $3, 'tick', now(), '{}', '{}')`,
          [randomUUID(), `User-${user}`, user],
        ),
      async () => {
        await send([activity(user)]);
        return readinessFailure(s.service.url);
      },
    );
    expect(stuck).toMatchObject({
      status: "not ready",
      checks: { partitions: false, consumer: true },
      details: {
        partitions: { stuck: [{ group: s.groupId, topic: s.topics.ingest, partition: 0, lag: 1 }] },
      },
    });
    console.info("readiness while stuck:", JSON.stringify(stuck));
    await readinessRecovery(s.service.url);
    expect((await stored([user])).map((r) => r.version)).toEqual([1, 2]);
  });
});
