import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dropSchema,
  request,
  startService,
  waitFor,
  writeSideUnderTest,
  type RunningProcess,
  type WriteSideUnderTest,
} from "@eventscope/testkit";

// Read-your-writes (afterEventId, minPosition), documents as of a time (asOf) and rebuilds that
// honour tombstones, with the producer, event store and projection as real processes.
let side: WriteSideUnderTest;
let producer: RunningProcess;
let store: RunningProcess;
let projection: RunningProcess;
const projectionSchema = () => `${side.name}_projection`;

const write = (path: string, body: unknown, method = "POST") =>
  request(`${producer.url}${path}`, { method, body });
const read = (path: string) => request(`${projection.url}${path}`);

async function storeRequests(route: string): Promise<number> {
  const res = await fetch(`${store.url}/metrics`);
  const text = await res.text();
  let sum = 0;
  for (const line of text.split("\n"))
    if (line.startsWith("http_server_requests_total{") && line.includes(`route="${route}"`))
      sum += Number(line.split(" ").at(-1));
  return sum;
}

beforeAll(async () => {
  side = await writeSideUnderTest("fresh");
  ({ producer, store } = side);
  projection = await startService("projection", {
    TOPIC_PREFIX: `${side.name}.`,
    LOG_LEVEL: "warn",
    DATABASE_SCHEMA: projectionSchema(),
    CONSUMER_GROUP: `${side.name}-projection`,
    EVENT_STORE_URL: store.url,
    READ_WAIT_MAX_MS: "5000",
  });
});

afterAll(async () => {
  await projection?.kill();
  if (side) {
    await dropSchema(side.pool, projectionSchema());
    await side.stop();
  }
});

describe("read-your-writes", () => {
  it("never answers stale when each of many concurrent writes is read at once with its afterEventId", async () => {
    const flows = Array.from({ length: 40 }, (_, i) => i);
    const rounds = await Promise.all(
      flows.map(async (i) => {
        const customerId = `ryw-${randomUUID()}`;
        const created = await write("/customer", { customerId, name: `C${i}`, email: `c${i}@example.com` });
        expect(created.status).toBe(202);
        expect(created.body.readAfter).toEqual({
          afterEventId: created.body.eventId,
          path: `/customer/${customerId}?afterEventId=${created.body.eventId}`,
        });
        const first = await read(created.body.readAfter.path);
        const changed = await write(`/customer/${customerId}/email`, { email: `new${i}@example.com` });
        const second = await read(changed.body.readAfter.path);
        const orderId = randomUUID();
        const items = [{ productId: "sku-ryw", quantity: 1, unitPrice: 3 }];
        const order = await write("/api/orders", { orderId, customerId, items, totalAmount: 3 });
        const payment = await write("/api/payments", { orderId, amount: 3 });
        // The order and its payment, two streams, waited for in one read.
        const third = await read(
          `/api/orders/${orderId}?afterEventId=${order.body.eventId},${payment.body.eventId}`,
        );
        const fourth = await read(`/api/orders?customerId=${customerId}&afterEventId=${order.body.eventId}`);
        return { first, second, third, fourth, i };
      }),
    );
    for (const { first, second, third, fourth, i } of rounds) {
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect(first.body.email).toBe(`c${i}@example.com`);
      expect(second.status, JSON.stringify(second.body)).toBe(200);
      expect(second.body.email).toBe(`new${i}@example.com`);
      expect(third.status, JSON.stringify(third.body)).toBe(200);
      expect(third.body).toMatchObject({ status: "Created", paymentStatus: "Initiated" });
      expect(fourth.body.count).toBe(1);
    }
  });

  it("waits for a global position taken from the event's status", async () => {
    const userId = `pos-${randomUUID()}`;
    const res = await write("/api/events", { userId, eventType: "login" });
    const status = await waitFor(async () => {
      const s = await request(res.body.statusUrl);
      return s.body.status === "committed" ? s.body : undefined;
    });
    const fresh = await read(`/api/events/user/${userId}?minPosition=${status.event.position}`);
    expect(fresh.status).toBe(200);
    expect(fresh.body.count).toBe(1);
  });

  it("says an event the store rejected was rejected, with the reason", async () => {
    const res = await write(`/customer/nobody-${randomUUID()}/email`, { email: "x@example.com" });
    expect(res.status).toBe(202);
    const answer = await read(`/customer/nobody?afterEventId=${res.body.eventId}`);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({
      code: "EVENT_REJECTED",
      afterEventId: res.body.eventId,
      rejectionCode: "AGGREGATE_NOT_FOUND",
    });
    expect(answer.body.detail).toContain("rejected");
  });

  it("answers 503 READ_MODEL_STALE with Retry-After when the write does not arrive in time, without polling in a loop", async () => {
    // A first read warms the path (a cold process on a busy machine may miss a short wait).
    await read(`/api/tasks/${randomUUID()}?afterEventId=${randomUUID()}&waitMs=200`);
    const before = await storeRequests("/api/eventstore/events/:eventId");
    const waits = await Promise.all(
      Array.from({ length: 20 }, () =>
        read(`/api/tasks/${randomUUID()}?afterEventId=${randomUUID()}&waitMs=1500`),
      ),
    );
    for (const res of waits) {
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(res.body, JSON.stringify(res.body)).toMatchObject({
        code: "READ_MODEL_STALE",
        store: "pending",
        retriable: true,
      });
      expect(res.body.waitedMs).toBeGreaterThanOrEqual(1400);
    }
    // Each waiting read asks the store with a backoff (10 ms doubling to 200 ms): about 12 times in 1.5 s.
    const asked = (await storeRequests("/api/eventstore/events/:eventId")) - before;
    expect(asked).toBeGreaterThanOrEqual(20);
    expect(asked).toBeLessThanOrEqual(20 * 16);
  });

  it("refuses bad consistency parameters with a problem naming the field", async () => {
    const id = randomUUID();
    const cases: [string, string][] = [
      ["/api/tasks/x?afterEventId=abc", "afterEventId"],
      [`/api/tasks/x?afterEventId=${id}&waitMs=5001`, "waitMs"],
      [`/api/tasks/x?afterEventId=${id}&waitMs=-1`, "waitMs"],
      ["/api/tasks/x?waitMs=100", "waitMs"],
      ["/api/tasks/x?minPosition=0", "minPosition"],
      ["/api/tasks/x?minPosition=99999999999999999999", "minPosition"],
      [`/api/tasks/x?afterEventId=${id}&asOf=2026-01-01`, "asOf"],
      ["/api/tasks/x?asOf=tomorrow", "asOf"],
      ["/customer/x?asOf=2026-02-30T99:00", "asOf"],
      ["/api/orders?afterEventId=1", "afterEventId"],
    ];
    for (const [path, field] of cases) {
      const res = await read(path);
      expect(res.status, path).toBe(400);
      expect(
        res.body.errors.map((e: any) => e.field),
        path,
      ).toContain(field);
    }
  });
});

describe("documents as of a time", () => {
  it("rebuilds a customer and an order with its payment as they were at a time, from the store", async () => {
    const customerId = `asof-${randomUUID()}`;
    const orderId = randomUUID();
    const post = (
      eventType: string,
      aggregateType: string,
      aggregateId: string,
      timestamp: string,
      data: unknown,
    ) => write("/api/events", { eventType, aggregateType, aggregateId, timestamp, data });
    const ids = [
      await post("CustomerCreated", "Customer", customerId, "2026-04-01T10:00:00Z", {
        name: "Ada",
        email: "a1@example.com",
      }),
      await post("CustomerEmailChanged", "Customer", customerId, "2026-04-02T10:00:00Z", {
        email: "a2@example.com",
      }),
      await post("CustomerEmailChanged", "Customer", customerId, "2026-04-03T10:00:00Z", {
        email: "a3@example.com",
      }),
      await post("OrderCreated", "Order", orderId, "2026-04-01T11:00:00Z", {
        customerId,
        items: [{ productId: "sku-asof", quantity: 2, unitPrice: 4 }],
        totalAmount: 8,
      }),
    ].map((r) => r.body.eventId as string);
    const paymentId = randomUUID();
    const paid = await post("PaymentInitiated", "Payment", paymentId, "2026-04-02T11:00:00Z", {
      orderId,
      amount: 8,
    });
    await read(`/api/orders/${orderId}?afterEventId=${paid.body.eventId}`);
    await read(`/customer/${customerId}?afterEventId=${ids[2]}`);

    const between = await read(`/customer/${customerId}?asOf=2026-04-02T12:00:00Z`);
    expect(between.status).toBe(200);
    expect(between.body).toMatchObject({ name: "Ada", email: "a2@example.com" });
    expect(between.headers.get("x-as-of")).toBe("2026-04-02T12:00:00.000Z");
    expect(between.headers.get("x-as-of-events")).toBe("2");
    expect((await read(`/api/customers/${customerId}?asOf=2026-04-01T10:00:00Z`)).body.email).toBe(
      "a1@example.com",
    );
    expect((await read(`/customer/${customerId}?asOf=2026-05-01`)).body.email).toBe("a3@example.com");
    const before = await read(`/customer/${customerId}?asOf=2026-03-31`);
    expect(before.status).toBe(404);
    expect(before.body.asOf).toBe("2026-03-31T00:00:00.000Z");

    const unpaid = await read(`/api/orders/${orderId}?asOf=2026-04-02T00:00:00Z`);
    expect(unpaid.body).toMatchObject({ status: "Created", totalAmount: 8 });
    expect(unpaid.body.paymentStatus ?? null).toBeNull();
    const initiated = await read(`/api/orders/${orderId}?asOf=2026-04-02T11:00:00Z`);
    expect(initiated.body).toMatchObject({ status: "Created", paymentId, paymentStatus: "Initiated" });
    // The live document is the latest state.
    expect((await read(`/customer/${customerId}`)).body.email).toBe("a3@example.com");
  });
});

describe("rebuilds and the stream lifecycle", () => {
  it("drops a tombstoned stream's document on rebuild and keeps an archived one's", async () => {
    const kept = randomUUID();
    const gone = randomUUID();
    const a = await write("/api/tasks", { taskId: kept, title: "kept" });
    const b = await write("/api/tasks", { taskId: gone, title: "gone" });
    expect((await read(`/api/tasks/${kept}?afterEventId=${a.body.eventId}`)).status).toBe(200);
    expect((await read(`/api/tasks/${gone}?afterEventId=${b.body.eventId}`)).status).toBe(200);
    const admin = (path: string) => request(`${store.url}${path}`, { method: "POST" });
    expect((await admin(`/api/eventstore/streams/Task/${kept}/archive`)).status).toBe(200);
    expect((await admin(`/api/eventstore/streams/Task/${gone}/tombstone`)).status).toBe(200);

    const started = await request(`${projection.url}/api/projections/tasks/rebuild`, { method: "POST" });
    expect(started.status).toBe(202);
    await waitFor(
      async () => {
        const s = await read("/api/projections/tasks");
        return s.body.status === "live" && s.body.rebuiltAt !== null ? s.body : undefined;
      },
      60_000,
      "the tasks projection rebuilt",
    );
    expect((await read("/api/projections/tasks")).body.lastError).toBeNull();
    expect((await read(`/api/tasks/${kept}`)).body).toMatchObject({ title: "kept" });
    expect((await read(`/api/tasks/${gone}`)).status).toBe(404);
    // The as-of read of a tombstoned stream is gone as well.
    expect((await read(`/api/tasks/${gone}?asOf=2030-01-01`)).status).toBe(410);
  });
});
