import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, serviceUnderTest, startService, type ServiceUnderTest } from "@eventscope/testkit";
import { highWatermark } from "./support.ts";

// The producer's door against the real Kafka: bad input gets its 4xx problem and nothing is
// published; a broker it cannot reach gets a fast 503, never a hang.
const apiKey = "test-key";
const env = { API_KEYS: apiKey, EVENT_STORE_URL: "http://store.invalid" };
let p: ServiceUnderTest;

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(`${p.service.url}${path}`, { body, headers: { "x-api-key": apiKey, ...headers } });

beforeAll(async () => {
  p = await serviceUnderTest("producer", "publish", env, 6);
});

afterAll(async () => {
  await p?.stop();
});

describe("producer: what it refuses and when it cannot publish", () => {
  it("refuses every bad input with its 4xx problem and publishes nothing", async () => {
    const before = await highWatermark(p.topics.ingest);
    const cases: [string, { status: number; headers: Headers; body: any }, number, string][] = [
      [
        "malformed JSON",
        await request(`${p.service.url}/api/events`, {
          raw: "{nope",
          headers: { "content-type": "application/json", "x-api-key": apiKey },
        }),
        400,
        "body",
      ],
      ["wrong type", await post("/api/tasks", { title: 42 }), 400, "/data/title"],
      [
        "unknown event type",
        await post("/api/events", {
          eventType: "NoSuchThing",
          aggregateType: "Task",
          aggregateId: "x",
          data: {},
        }),
        400,
        "/eventType",
      ],
      ["missing field", await post("/customer", { name: "No Mail" }), 400, "/data/email"],
      [
        "too large",
        await post("/api/events", { userId: "big", eventType: "blob", metadata: { x: "y".repeat(300_000) } }),
        413,
        "body",
      ],
      [
        "wrong content type",
        await request(`${p.service.url}/api/events`, {
          raw: "userId=1",
          headers: { "content-type": "application/x-www-form-urlencoded", "x-api-key": apiKey },
        }),
        415,
        "content-type",
      ],
      [
        "no API key",
        await request(`${p.service.url}/api/events`, { body: { userId: "u", eventType: "login" } }),
        401,
        "",
      ],
    ];
    for (const [label, res, status, field] of cases) {
      expect(res.status, label).toBe(status);
      expect(res.headers.get("content-type"), label).toContain("application/problem+json");
      expect(res.body.status, label).toBe(status);
      if (field)
        expect(
          res.body.errors.map((e: any) => e.field),
          label,
        ).toContain(field);
    }
    const batch = await post("/api/events/batch", [
      { eventType: "login", aggregateType: "User", aggregateId: "ok", data: {} },
      { eventType: "TaskCreated", aggregateType: "Task", aggregateId: "t", data: {} },
    ]);
    expect(batch.status).toBe(400);
    expect(batch.body.errors.map((e: any) => e.field)).toContain("/1/data/title");

    // CloudEvents: one mapping names every invalid event of a batch by its index, even in a batch
    // of one; a structured event's problems name its attributes.
    const ce = (type: string, data: unknown = {}) => ({
      specversion: "1.0",
      id: `ce-${type}`,
      source: "tests",
      type,
      aggregatetype: "Task",
      aggregateid: "ce-t",
      data,
    });
    const cloud = (contentType: string, body: unknown) =>
      request(`${p.service.url}/api/cloudevents`, {
        raw: JSON.stringify(body),
        headers: { "content-type": contentType, "x-api-key": apiKey },
      });
    const fields = (res: { body: any }) => res.body.errors.map((e: any) => e.field);
    const batchOf = "application/cloudevents-batch+json";
    const structured = await cloud("application/cloudevents+json", ce("TaskCreated"));
    expect([structured.status, fields(structured)]).toEqual([400, ["/data/title"]]);
    const ofOne = await cloud(batchOf, [ce("TaskCreated")]);
    expect([ofOne.status, fields(ofOne)]).toEqual([400, ["/0/data/title"]]);
    const two = await cloud(batchOf, [
      ce("TaskCreated"),
      ce("TaskCreated", { title: "ok" }),
      { ...ce("TaskCreated", { title: "ok" }), id: "ce-old", specversion: "0.3" },
    ]);
    expect([two.status, fields(two)]).toEqual([400, ["/0/data/title", "/2/specversion"]]);
    const notArray = await cloud(batchOf, ce("TaskCreated", { title: "ok" }));
    expect([notArray.status, notArray.body.errors]).toEqual([
      400,
      [{ field: "/", reason: "must be an array" }],
    ]);
    const empty = await cloud(batchOf, []);
    expect([empty.status, fields(empty)]).toEqual([400, ["/"]]);
    expect(await highWatermark(p.topics.ingest)).toBe(before);
  });

  it("answers 503 with Retry-After quickly when the broker cannot be reached", async () => {
    const offline = await startService(
      "producer",
      { ...env, TOPIC_PREFIX: `${p.name}.`, KAFKA_BROKERS: "127.0.0.1:1", PUBLISH_TIMEOUT_MS: "1000" },
      { waitReady: false },
    );
    try {
      const started = Date.now();
      const res = await request(`${offline.url}/api/events`, {
        body: { userId: "u", eventType: "login" },
        headers: { "x-api-key": apiKey },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await request(`${offline.url}/health/ready`)).status).toBe(503);
    } finally {
      await offline.kill();
    }
  });
});
