import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TopicNames } from "@eventscope/platform";
import {
  createTopics,
  deleteTopics,
  dropSchema,
  request,
  startService,
  testPool,
  uniqueName,
  waitFor,
  type RunningProcess,
} from "@eventscope/testkit";

// The store's queries over all streams (date range and type, correlation id, position) and the
// stream lifecycle (archive, tombstone), against known fixtures written through the producer.
const name = uniqueName("queries");
let topics: TopicNames;
let producer: RunningProcess;
let store: RunningProcess;
const pool = testPool();

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(`${producer.url}${path}`, { body, headers });
const get = (path: string) => request(`${store.url}${path}`);

async function committed(eventIds: string[]): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  await waitFor(
    async () => {
      for (const id of eventIds) {
        if (out.has(id)) continue;
        const res = await get(`/api/eventstore/events/${id}`);
        if (res.body.status !== "pending") out.set(id, res.body);
      }
      return out.size === eventIds.length;
    },
    30_000,
    `${eventIds.length} events decided`,
  );
  return out;
}

/** Every page of a query, following its cursor; waits until the feed's horizon has passed them all. */
async function allPages(path: string, expected: number): Promise<any[]> {
  return waitFor(
    async () => {
      const events: any[] = [];
      let after = "0:0";
      for (let pages = 0; pages < 100; pages++) {
        const sep = path.includes("?") ? "&" : "?";
        const res = await get(`${path}${sep}after=${after}`);
        expect(res.status).toBe(200);
        events.push(...res.body.events);
        after = res.body.nextCursor;
        if (res.body.caughtUp) break;
      }
      return events.length >= expected ? events : undefined;
    },
    20_000,
    `${expected} events from ${path}`,
  );
}

const task = (aggregateId: string, eventType: string, timestamp: string, data: Record<string, unknown>) => ({
  eventType,
  aggregateType: "Task",
  aggregateId,
  timestamp,
  data,
});

beforeAll(async () => {
  topics = await createTopics(`${name}.`);
  const env = { TOPIC_PREFIX: `${name}.`, DATABASE_SCHEMA: name, LOG_LEVEL: "warn" };
  store = await startService("event-store", { ...env, CONSUMER_GROUP: `${name}-store` });
  producer = await startService("producer", { ...env, EVENT_STORE_URL: store.url });
});

afterAll(async () => {
  await Promise.all([producer?.kill(), store?.kill()]);
  await dropSchema(pool, name);
  await pool.end();
  await deleteTopics(topics);
});

describe("event store queries", () => {
  it("lists events by event time and type across streams, page by page in commit order", async () => {
    const ids: Record<string, string> = {};
    const fixtures = [
      ["a", "TaskCreated", "2026-03-01T09:00:00Z", { title: "a" }],
      ["b", "TaskCreated", "2026-03-02T09:00:00Z", { title: "b" }],
      ["a", "TaskUpdated", "2026-03-02T12:00:00Z", { title: "a2" }],
      ["c", "TaskCreated", "2026-03-03T09:00:00Z", { title: "c" }],
      ["b", "TaskCompleted", "2026-03-04T09:00:00Z", {}],
    ] as const;
    for (const [id, type, at, data] of fixtures) {
      const res = await post("/api/events", task(`range-${id}`, type, at, data));
      expect(res.status).toBe(202);
      ids[`${id}:${type}`] = res.body.eventId;
    }
    const login = await post("/api/events", {
      userId: "u-range",
      eventType: "login",
      timestamp: "2026-03-02T10:00:00Z",
    });
    ids["login"] = login.body.eventId;
    const decided = await committed(Object.values(ids));
    expect([...decided.values()].every((s) => s.status === "committed")).toBe(true);

    // 2 March (whole day) to 3 March 09:00 inclusive: three task events and the login.
    const inRange = await allPages(
      "/api/eventstore/events?from=2026-03-02&to=2026-03-03T09:00:00Z&limit=1",
      4,
    );
    expect(inRange.map((e) => e.eventId).sort()).toEqual(
      [ids["b:TaskCreated"], ids["a:TaskUpdated"], ids["c:TaskCreated"], ids["login"]].sort(),
    );
    expect(inRange).toHaveLength(4);
    const positions = inRange.map((e) => BigInt(e.position));
    expect(new Set(positions).size).toBe(4);

    const created = await allPages(
      "/api/eventstore/events?type=TaskCreated,TaskCompleted&aggregateType=Task",
      4,
    );
    expect(created.map((e) => e.eventId).sort()).toEqual(
      [ids["a:TaskCreated"], ids["b:TaskCreated"], ids["c:TaskCreated"], ids["b:TaskCompleted"]].sort(),
    );
    const page = await get("/api/eventstore/events?from=2026-03-04&to=2026-03-04T23:59:59Z");
    expect(page.body).toMatchObject({ count: 1, caughtUp: true, from: "2026-03-04T00:00:00.000Z" });
    expect(page.body.events[0].eventId).toBe(ids["b:TaskCompleted"]);
  });

  it("tells an order's whole story by its correlation id: cart, order, payment and inventory", async () => {
    const story = `checkout-${randomUUID()}`;
    const h = { "x-correlation-id": story };
    const customerId = randomUUID();
    const orderId = randomUUID();
    const sku = `sku-${randomUUID()}`;
    const accepted: string[] = [];
    const step = async (path: string, body: unknown, method = "POST") => {
      const res = await request(`${producer.url}${path}`, { method, body, headers: h });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      accepted.push(res.body.eventId);
      return res.body;
    };
    await step(`/api/inventory/${sku}`, { quantity: 10 }, "PUT");
    const cart = await step("/api/carts", { customerId });
    await step(`/api/carts/${cart.cartId}/items`, { productId: sku, quantity: 2, unitPrice: 5 });
    await step(`/api/carts/${cart.cartId}/checkout`, {});
    const items = [{ productId: sku, quantity: 2, unitPrice: 5 }];
    await step("/api/orders", { orderId, customerId, cartId: cart.cartId, items, totalAmount: 10 });
    await step(`/api/inventory/${sku}/reserve`, { orderId, quantity: 2 });
    const payment = await step("/api/payments", { orderId, amount: 10, method: "card" });
    await step(`/api/payments/${payment.paymentId}/authorize`, { authorizationCode: "A1" });
    await step(`/api/payments/${payment.paymentId}/complete`, {});
    // The same kind of events outside the story, and an event that names its own correlation id.
    const other = await post("/api/carts", { customerId });
    const own = await post(
      "/api/events",
      {
        eventType: "TaskCreated",
        aggregateType: "Task",
        aggregateId: randomUUID(),
        data: { title: "x" },
        metadata: { correlationId: "mine" },
      },
      h,
    );
    const decided = await committed([...accepted, other.body.eventId, own.body.eventId]);
    expect([...decided.values()].filter((d) => d.status !== "committed")).toEqual([]);

    const events = await allPages(
      `/api/eventstore/correlation/${encodeURIComponent(story)}?limit=3`,
      accepted.length,
    );
    expect(events.map((e) => e.eventId).sort()).toEqual([...accepted].sort());
    expect(new Set(events.map((e) => e.aggregateType))).toEqual(
      new Set(["Inventory", "Cart", "Order", "Payment"]),
    );
    expect(events.every((e) => e.metadata.correlationId === story)).toBe(true);
    // Commit order keeps each stream's versions in order.
    const byStream = new Map<string, number[]>();
    for (const e of events)
      byStream.set(`${e.aggregateType}-${e.aggregateId}`, [
        ...(byStream.get(`${e.aggregateType}-${e.aggregateId}`) ?? []),
        e.version,
      ]);
    for (const versions of byStream.values()) expect(versions).toEqual([...versions].sort((x, y) => x - y));
    const mine = await allPages("/api/eventstore/correlation/mine", 1);
    expect(mine.map((e) => e.eventId)).toEqual([own.body.eventId]);
  });

  it("finds the event at a global position, and calls an empty one pending", async () => {
    const res = await post(
      "/api/events",
      task(`pos-${randomUUID()}`, "TaskCreated", "2026-03-05T00:00:00Z", { title: "p" }),
    );
    const status = (await committed([res.body.eventId])).get(res.body.eventId);
    const at = await get(`/api/eventstore/positions/${status.event.position}`);
    expect(at.body).toMatchObject({ status: "committed", position: status.event.position });
    expect(at.body.event.eventId).toBe(res.body.eventId);
    expect((await get("/api/eventstore/positions/9000000000000000000")).body).toEqual({
      position: "9000000000000000000",
      status: "pending",
    });
  });

  it("refuses bad query input with a problem naming the field", async () => {
    const cases: [string, string][] = [
      ["/api/eventstore/events?from=yesterday", "from"],
      ["/api/eventstore/events?to=2026-02-30T25:00:00Z", "to"],
      ["/api/eventstore/events?from=2026-03-02&to=2026-03-01", "from"],
      ["/api/eventstore/events?from=2020-01-01&to=2026-01-01", "to"],
      ["/api/eventstore/events?limit=0", "limit"],
      ["/api/eventstore/events?limit=100000", "limit"],
      [`/api/eventstore/events?type=${Array.from({ length: 21 }, (_, i) => `T${i}`).join(",")}`, "type"],
      ["/api/eventstore/events?type=a,,b", "type"],
      ["/api/eventstore/events?after=12", "after"],
      [`/api/eventstore/events?aggregateType=${"x".repeat(101)}`, "aggregateType"],
      [`/api/eventstore/correlation/${"c".repeat(201)}`, "correlationId"],
      ["/api/eventstore/correlation/abc?after=1:99999999999999999999", "after"],
      ["/api/eventstore/positions/abc", "position"],
      ["/api/eventstore/positions/0", "position"],
      ["/api/eventstore/positions/99999999999999999999", "position"],
      ["/api/eventstore/streams?lifecycle=deleted", "lifecycle"],
    ];
    for (const [path, field] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.headers.get("content-type"), path).toContain("application/problem+json");
      expect(
        res.body.errors.map((e: any) => e.field),
        path,
      ).toContain(field);
    }
  });
});

describe("stream lifecycle", () => {
  it("archives a stream: new events are rejected, reads and replays go on", async () => {
    const id = `archive-${randomUUID()}`;
    const first = await post(
      "/api/events",
      task(id, "TaskCreated", "2026-03-06T00:00:00Z", { title: "kept" }),
    );
    await committed([first.body.eventId]);
    const archived = await request(`${store.url}/api/eventstore/streams/Task/${id}/archive`, {
      method: "POST",
      body: { reason: "closed quarter" },
    });
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({
      streamId: `Task-${id}`,
      lifecycle: "archived",
      changed: true,
      reason: "closed quarter",
    });
    const again = await request(`${store.url}/api/eventstore/streams/Task/${id}/archive`, { method: "POST" });
    expect(again.body).toMatchObject({ lifecycle: "archived", changed: false });

    const late = await post(
      "/api/events",
      task(id, "TaskUpdated", "2026-03-06T01:00:00Z", { title: "late" }),
    );
    const status = (await committed([late.body.eventId])).get(late.body.eventId);
    expect(status).toMatchObject({ status: "rejected", code: "STREAM_ARCHIVED" });
    expect(status.reason).toContain("archived");

    const stream = await get(`/api/eventstore/streams/Task/${id}`);
    expect(stream.body).toMatchObject({ lifecycle: "archived", count: 1 });
    const replayed = await get(`/api/eventstore/replay/Task/${id}?strategy=full`);
    expect(replayed.body).toMatchObject({ lifecycle: "archived", version: 1 });
    expect(replayed.body.state.title).toBe("kept");
    const listed = await get("/api/eventstore/streams?lifecycle=archived");
    expect(listed.body.streams.map((s: any) => s.streamId)).toContain(`Task-${id}`);
    // Its events stay in the feed (the read models keep its documents).
    const feed = await allPages(
      `/api/eventstore/events?aggregateType=Task&from=2026-03-06&to=2026-03-06T23:00:00Z`,
      1,
    );
    expect(feed.map((e) => e.eventId)).toContain(first.body.eventId);
  });

  it("tombstones a stream: no new events, its reads answer 410, the feed and queries leave it out", async () => {
    const id = `tomb-${randomUUID()}`;
    const story = `tomb-story-${randomUUID()}`;
    const first = await post(
      "/api/events",
      task(id, "TaskCreated", "2026-03-07T00:00:00Z", { title: "gone" }),
      {
        "x-correlation-id": story,
      },
    );
    await committed([first.body.eventId]);
    await allPages(`/api/eventstore/correlation/${story}`, 1);
    const archived = await request(`${store.url}/api/eventstore/streams/Task/${id}/archive`, {
      method: "POST",
      body: {},
    });
    expect(archived.status).toBe(200);
    const tomb = await request(`${store.url}/api/eventstore/streams/Task/${id}/tombstone`, {
      method: "POST",
      body: { reason: "test fixture" },
    });
    expect(tomb.body).toMatchObject({ lifecycle: "tombstoned", changed: true });

    const late = await post(
      "/api/events",
      task(id, "TaskUpdated", "2026-03-07T01:00:00Z", { title: "late" }),
    );
    expect((await committed([late.body.eventId])).get(late.body.eventId)).toMatchObject({
      status: "rejected",
      code: "STREAM_TOMBSTONED",
    });
    for (const path of [`/api/eventstore/streams/Task/${id}`, `/api/eventstore/replay/Task/${id}`]) {
      const res = await get(path);
      expect(res.status, path).toBe(410);
      expect(res.body).toMatchObject({
        code: "STREAM_TOMBSTONED",
        streamId: `Task-${id}`,
        reason: "test fixture",
      });
    }
    const story2 = await get(`/api/eventstore/correlation/${story}`);
    expect(story2.body.events).toEqual([]);
    const feed = await get("/api/eventstore/feed?limit=5000");
    expect(feed.body.events.map((e: any) => e.eventId)).not.toContain(first.body.eventId);

    const refused = await request(`${store.url}/api/eventstore/streams/Task/${id}/archive`, {
      method: "POST",
    });
    expect(refused.status).toBe(409);
    const history = await get(`/api/eventstore/streams/Task/${id}/lifecycle`);
    expect(history.body).toMatchObject({ lifecycle: "tombstoned", reason: "test fixture" });
    expect(history.body.history.map((c: any) => [c.previous, c.lifecycle])).toEqual([
      ["open", "archived"],
      ["archived", "tombstoned"],
    ]);
    const tombstoned = await get("/api/eventstore/streams?lifecycle=tombstoned");
    expect(tombstoned.body.streams.map((s: any) => s.streamId)).toContain(`Task-${id}`);
  });

  it("answers 404 for unknown streams and aggregate types and 400 for a bad body", async () => {
    const missing = await request(`${store.url}/api/eventstore/streams/Task/${randomUUID()}/archive`, {
      method: "POST",
    });
    expect(missing.status).toBe(404);
    const unknown = await request(`${store.url}/api/eventstore/streams/Nope/x/tombstone`, { method: "POST" });
    expect(unknown.status).toBe(404);
    const bad = await request(`${store.url}/api/eventstore/streams/Task/x/archive`, {
      method: "POST",
      body: { reason: 42, force: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field)).toContain("/force");
  });
});
