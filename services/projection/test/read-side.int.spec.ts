import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { toKafkaRecord, type CommittedEvent } from "@eventscope/contracts";
import type { TopicNames } from "@eventscope/platform";
import {
  brokers,
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

// Guarantees 3 and 4 for the read models, with the producer, event store and projection
// running as real processes on the real Kafka and PostgreSQL.
const name = uniqueName("read");
const storeSchema = `${name}_store`;
const projectionSchema = `${name}_projection`;
let topics: TopicNames;
let producer: RunningProcess;
let store: RunningProcess;
let projection: RunningProcess;
const pool = testPool();

const post = (path: string, body?: unknown) =>
  request(`${producer.url}${path}`, { method: "POST", body: body ?? {} });
const get = (path: string) => request(`${projection.url}${path}`);

async function rawProducer() {
  const p = new kafkajs.Kafka({
    clientId: "read-side-test",
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
  }).producer();
  await p.connect();
  return p;
}

/** Waits until the projection has applied everything the store committed. */
async function caughtUp(): Promise<void> {
  await waitFor(
    async () => {
      const res = await get("/api/projections");
      const list = res.body.projections as { positionsBehind: number | null; consumerLag: number | null }[];
      return list.length > 0 && list.every((p) => p.consumerLag === 0);
    },
    60_000,
    "the projection to catch up",
  );
}

async function activityCount(userId: string): Promise<number> {
  return (await get(`/api/events/user/${userId}?limit=1`)).body.count as number;
}

beforeAll(async () => {
  topics = await createTopics(`${name}.`);
  const common = { TOPIC_PREFIX: `${name}.`, LOG_LEVEL: "warn" };
  store = await startService("event-store", {
    ...common,
    DATABASE_SCHEMA: storeSchema,
    CONSUMER_GROUP: `${name}-store`,
  });
  producer = await startService("producer", { ...common, DATABASE_SCHEMA: storeSchema });
  projection = await startService("projection", {
    ...common,
    DATABASE_SCHEMA: projectionSchema,
    CONSUMER_GROUP: `${name}-projection`,
    EVENT_STORE_URL: store.url,
  });
});

afterAll(async () => {
  await Promise.all([producer?.kill(), store?.kill(), projection?.kill()]);
  await dropSchema(pool, storeSchema);
  await dropSchema(pool, projectionSchema);
  await pool.end();
  await deleteTopics(topics);
});

describe("read side: projection", () => {
  it("shows the final state of an order, a task, a customer and user activity", async () => {
    const customerId = randomUUID();
    await post("/customer", { customerId, name: "Grace", email: "grace@example.com" });
    await post(`/customer/${customerId}/email`, { email: "grace@navy.mil" });
    const cart = await post("/api/carts", { customerId });
    const cartId = cart.body.cartId as string;
    await post(`/api/carts/${cartId}/items`, { productId: "sku-1", quantity: 2, unitPrice: 10 });
    await post(`/api/carts/${cartId}/checkout`);
    const orderId = randomUUID();
    const items = [{ productId: "sku-1", quantity: 2, unitPrice: 10 }];
    await post("/api/orders", { orderId, customerId, cartId, items, totalAmount: 20 });
    for (const step of ["validate", "confirm"]) await post(`/api/orders/${orderId}/${step}`);
    const payment = await post("/api/payments", { orderId, amount: 20, method: "card" });
    const paymentId = payment.body.paymentId as string;
    await post(`/api/payments/${paymentId}/authorize`, { authorizationCode: "A1" });
    await post(`/api/payments/${paymentId}/complete`);
    await post(`/api/orders/${orderId}/ship`, { trackingNumber: "TRACK-42", carrier: "DHL" });
    await post(`/api/orders/${orderId}/deliver`);
    const task = await post("/api/tasks", { title: "ship it", assignee: "ada" });
    const taskId = task.body.taskId as string;
    await request(`${producer.url}/api/tasks/${taskId}`, { method: "PUT", body: { title: "ship it now" } });
    await post(`/api/tasks/${taskId}/complete`, { completedBy: "ada" });
    const userId = `user-${randomUUID()}`;
    for (const eventType of ["login", "page_view", "page_view", "logout"]) {
      await post("/api/events", { userId, eventType, metadata: { ipAddress: "192.168.1.1" } });
    }

    const order = await waitFor(async () => {
      const res = await get(`/api/orders/${orderId}`);
      return res.status === 200 && res.body.status === "Delivered" && res.body.paymentStatus === "Completed"
        ? res.body
        : undefined;
    });
    expect(order).toMatchObject({
      customerId,
      totalAmount: 20,
      paymentId,
      trackingNumber: "TRACK-42",
      status: "Delivered",
    });
    expect(order.items).toEqual(items);
    expect(order.deliveredAt).toBeTruthy();
    const byCustomer = await get(`/api/orders?customerId=${customerId}&status=Delivered`);
    expect(byCustomer.body.count).toBe(1);

    const t = await waitFor(async () =>
      (await get(`/api/tasks/${taskId}`)).body?.status === "Completed"
        ? (await get(`/api/tasks/${taskId}`)).body
        : undefined,
    );
    expect(t).toMatchObject({ title: "ship it now", assignee: "ada", completedBy: "ada" });

    const customer = await waitFor(async () =>
      (await get(`/customer/${customerId}`)).body?.email === "grace@navy.mil"
        ? (await get(`/customer/${customerId}`)).body
        : undefined,
    );
    expect(customer.name).toBe("Grace");
    await request(`${producer.url}/customer/${customerId}`, { method: "DELETE" });
    await waitFor(async () => (await get(`/customer/${customerId}`)).status === 404);

    await waitFor(async () => (await activityCount(userId)) === 4);
    const views = await get(`/api/events/user/${userId}`);
    expect(views.body.events.map((e: any) => e.eventType)).toEqual([
      "login",
      "page_view",
      "page_view",
      "logout",
    ]);
    expect(views.body.events[0].metadata).toEqual({ ipAddress: "192.168.1.1" });
    const byType = await get("/api/events/type/logout");
    expect(byType.body.count).toBeGreaterThanOrEqual(1);
    expect(byType.body.eventType).toBe("logout");
  });

  it("answers every page with the count of the same snapshot while events are being applied", async () => {
    const userId = `user-${randomUUID()}`;
    const total = 120;
    const seen: { count: number; events: number; path: string }[] = [];
    let writing = true;
    let activity = 0;
    const reader = (async () => {
      while (writing || activity !== total) {
        for (const path of [
          `/api/events/user/${userId}?limit=1000`,
          `/api/tasks?assignee=${userId}&limit=1000`,
        ]) {
          const res = await get(path);
          expect(res.status).toBe(200);
          seen.push({ count: res.body.count, events: (res.body.events ?? res.body.items).length, path });
          if (path.includes("/user/")) activity = res.body.count;
        }
        if (seen.length > 4000) break;
      }
    })();
    for (let i = 0; i < total; i += 10)
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          j % 2 === 0
            ? post("/api/events", { userId, eventType: "click", metadata: { i: i + j } })
            : post("/api/tasks", { title: `t${i + j}`, assignee: userId }).then(() =>
                post("/api/events", { userId, eventType: "view", metadata: { i: i + j } }),
              ),
        ),
      );
    writing = false;
    await reader;
    // Each answer's list is as long as its count says (every row fits in one page)...
    for (const s of seen) expect(s.events, `${s.path} answered count ${s.count}`).toBe(s.count);
    // ...and the reads overlapped the writes: many counts between none and all.
    expect(new Set(seen.filter((s) => s.path.includes("/user/")).map((s) => s.count)).size).toBeGreaterThan(
      3,
    );
    expect(activity).toBe(total);
    // A page past the end still carries the count.
    const past = await get(`/api/events/user/${userId}?limit=10&offset=${total}`);
    expect(past.body).toMatchObject({ count: total, events: [] });
    const pastTasks = await get(`/api/tasks?assignee=${userId}&limit=10&offset=60`);
    expect(pastTasks.body).toMatchObject({ count: 60, items: [], offset: 60 });
  });

  it("keeps both an order's own events and its payment's when they arrive on different partitions at once", async () => {
    const orders = Array.from({ length: 30 }, () => randomUUID());
    await Promise.all(
      orders.map(async (orderId) => {
        const items = [{ productId: "sku-race", quantity: 1, unitPrice: 7 }];
        await Promise.all([
          post("/api/orders", { orderId, customerId: "race", items, totalAmount: 7 }),
          post("/api/payments", { orderId, amount: 7 }),
        ]);
      }),
    );
    for (const orderId of orders) {
      const doc = await waitFor(
        async () => {
          const res = await get(`/api/orders/${orderId}`);
          return res.status === 200 && res.body.paymentStatus === "Initiated" && res.body.status !== null
            ? res.body
            : undefined;
        },
        30_000,
        `order ${orderId} with its payment`,
      );
      expect(doc).toMatchObject({ status: "Created", totalAmount: 7, paymentStatus: "Initiated" });
    }
  });

  it("leaves read models exact when the projection is killed mid-stream and restarted", async () => {
    const users = Array.from({ length: 5 }, () => `crash-${randomUUID()}`);
    let sent = 0;
    const sending = (async () => {
      for (let i = 0; i < 400; i++) {
        const res = await post("/api/events", {
          userId: users[i % users.length],
          eventType: "tick",
          metadata: { i },
        });
        expect(res.status).toBe(202);
        sent++;
      }
    })();
    await waitFor(async () => sent > 100, 30_000);
    await projection.kill("SIGKILL");
    await waitFor(async () => sent > 250, 30_000);
    await projection.restart();
    await sending;
    for (const user of users)
      await waitFor(async () => (await activityCount(user)) === 80, 60_000, `80 events of ${user}`);
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM "${projectionSchema}".user_activity WHERE user_id = ANY($1)`,
      [users],
    );
    expect(rows[0]).toEqual({ n: 400, d: 400 });
  });

  it("changes nothing when committed events are delivered again", async () => {
    const taskId = randomUUID();
    await post("/api/tasks", { taskId, title: "once" });
    await request(`${producer.url}/api/tasks/${taskId}`, { method: "PUT", body: { description: "twice?" } });
    await waitFor(async () => (await get(`/api/tasks/${taskId}`)).body?.description === "twice?");
    await caughtUp();
    const before = await pool.query(`SELECT doc FROM "${projectionSchema}".tasks WHERE id = $1`, [taskId]);
    const activityBefore = await pool.query(
      `SELECT count(*)::int AS n FROM "${projectionSchema}".user_activity`,
    );
    // Replay the whole store onto the committed topic, as a rebalance or a republishing store would.
    const feed = await request(`${store.url}/api/eventstore/feed?limit=5000`);
    const events = feed.body.events as CommittedEvent[];
    const raw = await rawProducer();
    await raw.send({ topic: topics.committed, messages: events.map((e) => toKafkaRecord(e)) });
    await raw.disconnect();
    await caughtUp();
    const after = await pool.query(`SELECT doc FROM "${projectionSchema}".tasks WHERE id = $1`, [taskId]);
    const activityAfter = await pool.query(
      `SELECT count(*)::int AS n FROM "${projectionSchema}".user_activity`,
    );
    expect(after.rows).toEqual(before.rows);
    expect(activityAfter.rows[0].n).toBe(activityBefore.rows[0].n);
  });

  it("parks a poison message with its reason and goes on", async () => {
    const raw = await rawProducer();
    await raw.send({ topic: topics.committed, messages: [{ key: "poison", value: '{"broken": true}' }] });
    await raw.disconnect();
    const userId = `after-poison-${randomUUID()}`;
    await post("/api/events", { userId, eventType: "login" });
    await waitFor(async () => (await activityCount(userId)) === 1);
    const parked = await waitFor(async () => {
      const res = await get("/api/projection/dead-letters");
      return res.body.deadLetters.find((d: any) => d.key === "poison");
    });
    expect(parked.reason).toMatch(/^malformed/);
  });

  it("counts each projection's events once over every partition, and every projection at the consumer's position", async () => {
    await caughtUp();
    const list = (await get("/api/projections")).body.projections as {
      name: string;
      eventsApplied: number;
      positionsBehind: number | null;
    }[];
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${projectionSchema}".user_activity`,
    );
    expect(list.find((p) => p.name === "user_activity")?.eventsApplied).toBe(rows[0]!.n);
    expect(rows[0]!.n).toBeGreaterThan(0);
    // The orders projection applied nothing of the user-activity batches, and is at the head all the same.
    for (const p of list) expect(p.positionsBehind, p.name).toBe(0);
    const parts = await pool.query<{ n: number }>(
      `SELECT count(DISTINCT partition)::int AS n FROM "${projectionSchema}".projection_partition_checkpoints WHERE projection = 'user_activity'`,
    );
    expect(parts.rows[0]!.n).toBeGreaterThan(1);
  });

  it("rebuilds a projection from the event store equal to the live one, while queries keep answering", async () => {
    await caughtUp();
    const snapshot = async (table: string) =>
      (await pool.query(`SELECT id, doc FROM "${projectionSchema}".${table} ORDER BY id`)).rows;
    const tasksBefore = await snapshot("tasks");
    const activityBefore = await pool.query(
      `SELECT event_id, user_id, event_type, data FROM "${projectionSchema}".user_activity ORDER BY event_id`,
    );
    expect(tasksBefore.length).toBeGreaterThan(0);
    for (const projectionName of ["tasks", "user_activity"]) {
      const res = await request(`${projection.url}/api/projections/${projectionName}/rebuild`, {
        method: "POST",
      });
      expect(res.status).toBe(202);
      // Queries keep answering during the rebuild.
      expect((await get("/api/tasks?limit=1")).status).toBe(200);
      await waitFor(
        async () => {
          const status = await get(`/api/projections/${projectionName}`);
          return status.body.status === "live" && status.body.rebuiltAt !== null;
        },
        60_000,
        `${projectionName} to be rebuilt`,
      );
    }
    expect(await snapshot("tasks")).toEqual(tasksBefore);
    const activityAfter = await pool.query(
      `SELECT event_id, user_id, event_type, data FROM "${projectionSchema}".user_activity ORDER BY event_id`,
    );
    expect(activityAfter.rows).toEqual(activityBefore.rows);
  });
});
