import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  kafkaAdmin,
  request,
  requestWithKey,
  waitFor,
  writeSideUnderTest,
  type WriteSideUnderTest,
} from "@eventscope/testkit";

// Guarantees 1 and 2 against the real Kafka and PostgreSQL, with the producer and the event
// store running as real processes on topics and a schema of their own. What the producer's
// door refuses is proved in services/producer/test.
const apiKey = "test-key";
let w: WriteSideUnderTest;

// The store holds personal data: its reads need the key too.
const read = requestWithKey(apiKey);
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(`${w.producer.url}${path}`, { body, headers: { "x-api-key": apiKey, ...headers } });

const statusOf = (eventId: string) => read(`${w.store.url}/api/eventstore/events/${eventId}`);

async function settled(eventIds: string[], timeoutMs = 60_000) {
  const out = new Map<string, any>();
  await waitFor(
    async () => {
      for (const id of eventIds) {
        if (out.has(id)) continue;
        const res = await statusOf(id);
        if (res.body.status !== "pending") out.set(id, res.body);
      }
      return out.size === eventIds.length;
    },
    timeoutMs,
    `${eventIds.length} events to be decided`,
  );
  return out;
}

beforeAll(async () => {
  w = await writeSideUnderTest("write", {
    env: { API_KEYS: apiKey },
    storeEnv: { SNAPSHOT_EVERY: "5" },
    producerEnv: { EVENT_STORE_URL: "http://store.invalid" },
  });
});

afterAll(async () => {
  await w?.stop();
});

describe("write side: producer and event store", () => {
  it("answers 202 with the event id, a status URL and a traceparent, and stores the event", async () => {
    const res = await post("/api/events", {
      userId: "u-1",
      eventType: "login",
      metadata: { ipAddress: "10.0.0.1" },
    });
    expect(res.status).toBe(202);
    expect(res.body.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.statusUrl).toContain(`/api/eventstore/events/${res.body.eventId}`);
    expect(res.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const decided = await settled([res.body.eventId]);
    const status = decided.get(res.body.eventId);
    expect(status.status).toBe("committed");
    expect(status.event).toMatchObject({
      aggregateType: "User",
      aggregateId: "u-1",
      eventType: "login",
      version: 1,
    });
    expect(status.event.metadata.traceparent).toContain(res.headers.get("traceparent")!.split("-")[1]);
  });

  it("ends every accepted event stored or rejected with a reason (guarantee 1)", async () => {
    const taskId = randomUUID();
    const accepted: string[] = [];
    // Updating a task that does not exist yet is accepted by the producer and rejected by the store.
    const early = await request(`${w.producer.url}/api/tasks/${taskId}`, {
      method: "PUT",
      body: { title: "too early" },
      headers: { "x-api-key": apiKey },
    });
    expect(early.status).toBe(202);
    accepted.push(early.body.eventId);
    const created = await post("/api/tasks", { taskId, title: "write the tests" });
    accepted.push(created.body.eventId);
    for (let i = 0; i < 20; i++) {
      const r = await post("/api/events", {
        userId: `bulk-${i % 4}`,
        eventType: "page_view",
        metadata: { page: i },
      });
      expect(r.status).toBe(202);
      accepted.push(r.body.eventId);
    }
    const decided = await settled(accepted);
    expect([...decided.values()].every((s) => s.status === "committed" || s.status === "rejected")).toBe(
      true,
    );
    const rejected = decided.get(early.body.eventId);
    expect(rejected).toMatchObject({ status: "rejected", code: "AGGREGATE_NOT_FOUND" });
    expect(rejected.reason).toMatch(/\S/);
    expect(decided.get(created.body.eventId).status).toBe("committed");
  });

  it("keeps per-aggregate order with versions 1..n and no gaps under concurrent posts (guarantee 2)", async () => {
    const userId = `concurrent-${randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        post("/api/events", { userId, eventType: "click", metadata: { i } }),
      ),
    );
    expect(responses.every((r) => r.status === 202)).toBe(true);
    await settled(responses.map((r) => r.body.eventId));
    const stream = await read(`${w.store.url}/api/eventstore/streams/User/${userId}`);
    expect(stream.body.count).toBe(60);
    expect(stream.body.events.map((e: any) => e.version)).toEqual(
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    expect(new Set(stream.body.events.map((e: any) => e.eventId)).size).toBe(60);

    // Sequential posts keep the order in which they were sent.
    const seqUser = `sequence-${randomUUID()}`;
    const sent: string[] = [];
    for (let i = 0; i < 10; i++)
      sent.push(
        (await post("/api/events", { userId: seqUser, eventType: "step", metadata: { i } })).body.eventId,
      );
    await settled(sent);
    const seq = await read(`${w.store.url}/api/eventstore/streams/User/${seqUser}`);
    expect(seq.body.events.map((e: any) => e.eventId)).toEqual(sent);
  });

  it("rejects an expected-version conflict with its reason", async () => {
    const customerId = randomUUID();
    const created = await post("/customer", { customerId, name: "Ada", email: "ada@example.com" });
    await settled([created.body.eventId]);
    const stale = await post(
      `/customer/${customerId}/email`,
      { email: "ada@lovelace.dev" },
      { "if-match": "0" },
    );
    expect(stale.status).toBe(202);
    const fresh = await post(
      `/customer/${customerId}/email`,
      { email: "ada@analytical.engine" },
      { "if-match": "1" },
    );
    const decided = await settled([stale.body.eventId, fresh.body.eventId]);
    expect(decided.get(stale.body.eventId)).toMatchObject({
      status: "rejected",
      code: "WRONG_EXPECTED_VERSION",
    });
    expect(decided.get(stale.body.eventId).reason).toContain("is at version 1");
    expect(decided.get(fresh.body.eventId)).toMatchObject({ status: "committed" });
    expect(decided.get(fresh.body.eventId).event.version).toBe(2);
  });

  it("stores a repeated event id once, and answers an Idempotency-Key repeat with the same id", async () => {
    const eventId = randomUUID();
    const envelope = {
      eventId,
      eventType: "login",
      aggregateType: "User",
      aggregateId: `dup-${eventId}`,
      data: {},
    };
    const first = await post("/api/events", envelope);
    const second = await post("/api/events", envelope);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.eventId).toBe(eventId);
    const key = randomUUID();
    const a = await post(
      "/api/events",
      { userId: `idem-${key}`, eventType: "purchase" },
      { "idempotency-key": key },
    );
    const b = await post(
      "/api/events",
      { userId: `idem-${key}`, eventType: "purchase" },
      { "idempotency-key": key },
    );
    expect(b.body.eventId).toBe(a.body.eventId);
    await settled([eventId, a.body.eventId]);
    const { rows } = await w.pool.query(
      `SELECT count(*)::int AS n FROM "${w.name}".events WHERE event_id = ANY($1::uuid[])`,
      [[eventId, a.body.eventId]],
    );
    expect(rows[0].n).toBe(2);
  });

  it("parks a malformed message with its reason and keeps consuming", async () => {
    const admin = kafkaAdmin();
    const { Kafka } = (await import("kafkajs")).default;
    const raw = new Kafka({
      clientId: "poison",
      brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","),
    }).producer();
    await raw.connect();
    await raw.send({ topic: w.topics.ingest, messages: [{ key: "poison", value: "not json at all" }] });
    await raw.disconnect();
    await admin.connect();
    await admin.disconnect();
    const after = await post("/api/events", { userId: "poison", eventType: "login" });
    await settled([after.body.eventId]);
    const parked = await waitFor(async () => {
      const res = await read(`${w.store.url}/api/eventstore/dead-letters`);
      return res.body.count > 0 ? res.body.deadLetters : undefined;
    });
    expect(parked[0].reason).toMatch(/^malformed/);
    expect(parked[0].key).toBe("poison");
  });

  it("loses and duplicates nothing when the event store is killed mid-stream and restarted", async () => {
    const ids: string[] = [];
    const users = Array.from({ length: 8 }, () => `crash-${randomUUID()}`);
    const sending = (async () => {
      for (let i = 0; i < 600; i++) {
        const res = await post("/api/events", {
          userId: users[i % users.length],
          eventType: "tick",
          metadata: { i },
        });
        expect(res.status).toBe(202);
        ids.push(res.body.eventId);
      }
    })();
    await waitFor(async () => ids.length > 150, 30_000, "some events sent");
    await w.store.kill("SIGKILL");
    await waitFor(async () => ids.length > 300, 30_000, "more events sent while the store is down");
    await w.store.restart();
    await sending;
    await settled(ids, 90_000);
    const { rows } = await w.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM "${w.name}".events WHERE event_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(rows[0]).toEqual({ n: 600, d: 600 });
    for (const user of users) {
      const stream = await read(`${w.store.url}/api/eventstore/streams/User/${user}`);
      expect(stream.body.events.map((e: any) => e.version)).toEqual(
        Array.from({ length: 75 }, (_, i) => i + 1),
      );
    }
  });
});
