import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestWithKey, waitFor, writeSideUnderTest, type WriteSideUnderTest } from "@eventscope/testkit";
import { highWatermark } from "./support.ts";

// Honest idempotency against the real Kafka and PostgreSQL: an id seen before answers the original
// answer for the same payload and a 409 for another, from the producer's memory and, after it
// restarted, from the event store; duplicate ids inside one request are refused as a whole.
const apiKey = "idem-key";
let w: WriteSideUnderTest;
const call = requestWithKey(apiKey);
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(`${w.producer.url}${path}`, { body, headers });

async function committed(eventId: string) {
  return waitFor(
    async () => {
      const res = await call(`${w.store.url}/api/eventstore/events/${eventId}`);
      return res.body.status === "committed" ? res.body : undefined;
    },
    30_000,
    `event ${eventId} to be stored`,
  );
}

beforeAll(async () => {
  w = await writeSideUnderTest("idem", { partitions: 3, env: { API_KEYS: apiKey } });
});

afterAll(async () => {
  await w?.stop();
});

describe("idempotency", () => {
  it("answers the same id with the same payload as the first time, and another payload with 409", async () => {
    const eventId = randomUUID();
    const envelope = {
      eventId,
      eventType: "login",
      aggregateType: "User",
      aggregateId: `i-${eventId}`,
      data: { a: 1, b: [1, 2] },
    };
    const first = await post("/api/events", envelope);
    expect(first.status).toBe(202);
    const before = await highWatermark(w.topics.ingest);
    // Key order does not make another payload.
    const again = await post("/api/events", {
      data: { b: [1, 2], a: 1 },
      aggregateId: envelope.aggregateId,
      aggregateType: "User",
      eventType: "login",
      eventId,
    });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({
      eventId,
      duplicate: true,
      statusUrl: first.body.statusUrl,
      payloadHash: first.body.payloadHash,
    });
    const other = await post("/api/events", { ...envelope, data: { a: 2 } });
    expect(other.status).toBe(409);
    expect(other.headers.get("content-type")).toContain("application/problem+json");
    expect(other.body).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", eventIds: [eventId] });
    expect(other.body.errors[0].field).toBe("/eventId");
    expect(await highWatermark(w.topics.ingest)).toBe(before);
    const stored = await committed(eventId);
    expect(stored.event.data).toEqual({ a: 1, b: [1, 2] });
    expect(stored.event.metadata.payloadHash).toBe(first.body.payloadHash);
  });

  it("does the same for an Idempotency-Key, a command's generated ids included", async () => {
    const key = randomUUID();
    const a = await post("/api/tasks", { title: "write it once" }, { "idempotency-key": key });
    const b = await post("/api/tasks", { title: "write it once" }, { "idempotency-key": key });
    expect(a.status).toBe(202);
    expect(b.body).toMatchObject({ eventId: a.body.eventId, taskId: a.body.taskId, duplicate: true });
    const c = await post("/api/tasks", { title: "something else" }, { "idempotency-key": key });
    expect(c.status).toBe(409);
    expect(c.body.errors[0].field).toBe("Idempotency-Key");
    await committed(a.body.eventId);
  });

  it("asks the event store when the producer has forgotten (restarted)", async () => {
    const eventId = randomUUID();
    const envelope = {
      eventId,
      eventType: "logout",
      aggregateType: "User",
      aggregateId: `r-${eventId}`,
      data: { n: 1 },
    };
    const first = await post("/api/events", envelope);
    await committed(eventId);
    await w.producer.kill();
    await w.producer.restart();
    const before = await highWatermark(w.topics.ingest);
    const same = await post("/api/events", envelope);
    expect(same.body).toMatchObject({ eventId, duplicate: true, payloadHash: first.body.payloadHash });
    const other = await post("/api/events", { ...envelope, data: { n: 2 } });
    expect(other.status).toBe(409);
    expect(await highWatermark(w.topics.ingest)).toBe(before);
  });

  it("refuses a request that names one id twice, as a whole", async () => {
    const eventId = randomUUID();
    const before = await highWatermark(w.topics.ingest);
    const item = (n: number) => ({
      eventId,
      eventType: "click",
      aggregateType: "User",
      aggregateId: `b-${eventId}`,
      data: { n },
    });
    const res = await post("/api/events/batch", [item(1), item(2)]);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: "/1/eventId", reason: "repeats the id of event /0" }]);
    const ce = (id: string) => ({
      specversion: "1.0",
      id,
      source: "tests",
      type: "click",
      aggregatetype: "User",
      aggregateid: "ce-b",
      data: {},
    });
    const batch = await call(`${w.producer.url}/api/events`, {
      raw: JSON.stringify([ce("x"), ce("y"), ce("x")]),
      headers: { "content-type": "application/cloudevents-batch+json" },
    });
    expect(batch.status).toBe(400);
    expect(batch.body.errors[0].field).toBe("/2/id");
    expect(await highWatermark(w.topics.ingest)).toBe(before);
  });
});
