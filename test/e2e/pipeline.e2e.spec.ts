import { createHmac, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, requestWithKey, waitFor } from "@eventscope/testkit";

// The whole stack as `make up` runs it (default ports): every seed flow through the producer,
// seen in the read models, the SMTP sink and a webhook receiver.
const producer = process.env.PRODUCER_URL ?? "http://127.0.0.1:8081";
const projection = process.env.PROJECTION_URL ?? "http://127.0.0.1:8083";
const notification = process.env.NOTIFICATION_URL ?? "http://127.0.0.1:8084";
const mailApi = process.env.MAIL_API_URL ?? "http://127.0.0.1:8025";
// The first configured key, without its scopes (the demo key holds every scope).
const apiKey = (process.env.API_KEYS ?? "eventscope-demo-key").split(",")[0]!.split(":")[0]!;
// Subscriptions need admin, read models of customers and activity and deliveries need read.
const keyed = requestWithKey(apiKey);

const post = (path: string, body: unknown = {}) =>
  request(`${producer}${path}`, { method: "POST", body, headers: { "x-api-key": apiKey } });

interface Receipt {
  deliveryId: string;
  eventId: string;
  valid: boolean;
  traceparent: string | undefined;
}

let receiver: Server;
let receiverUrl = "";
const receipts: Receipt[] = [];
let subscriptionId = "";
let secret = "";

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const signature = String(req.headers["x-eventscope-signature"] ?? "");
      const t = /t=(\d+)/.exec(signature)?.[1] ?? "";
      const v1 = /v1=([0-9a-f]+)/.exec(signature)?.[1] ?? "";
      const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
      receipts.push({
        deliveryId: String(req.headers["x-eventscope-delivery-id"]),
        eventId: String(req.headers["x-eventscope-event-id"]),
        valid: v1 === expected,
        traceparent: req.headers.traceparent as string | undefined,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const sub = await keyed(`${notification}/api/subscriptions`, {
    body: {
      url: receiverUrl,
      eventTypes: ["OrderCreated", "OrderShipped", "OrderDelivered", "TaskCompleted"],
    },
  });
  expect(sub.status).toBe(201);
  subscriptionId = sub.body.id;
  secret = sub.body.secret;
});

afterAll(async () => {
  if (subscriptionId)
    await keyed(`${notification}/api/subscriptions/${subscriptionId}`, { method: "DELETE" });
  await new Promise<void>((r) => receiver.close(() => r()));
});

describe("the running stack", () => {
  it("carries an order, a task, a customer and user activity from the producer to read models, e-mail and webhooks", async () => {
    const token = randomUUID().slice(0, 8);
    const customerId = `cust-${token}`;
    const accepted: string[] = [];
    const ok = async (path: string, body?: unknown) => {
      const res = await post(path, body);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(202);
      accepted.push(res.body.eventId);
      return res.body;
    };
    await ok("/customer", { customerId, name: `Ada ${token}`, email: `ada-${token}@example.com` });
    await ok(`/customer/${customerId}/email`, { email: `ada-${token}@lovelace.dev` });
    const cartId = (await ok("/api/carts", { customerId })).cartId as string;
    await ok(`/api/carts/${cartId}/items`, { productId: "sku-e2e", quantity: 3, unitPrice: 5 });
    await ok(`/api/carts/${cartId}/checkout`);
    const orderId = `order-${token}`;
    await ok("/api/orders", {
      orderId,
      customerId,
      cartId,
      items: [{ productId: "sku-e2e", quantity: 3, unitPrice: 5 }],
      totalAmount: 15,
    });
    await ok(`/api/orders/${orderId}/validate`);
    await ok(`/api/orders/${orderId}/confirm`);
    const paymentId = (await ok("/api/payments", { orderId, amount: 15, method: "card" }))
      .paymentId as string;
    await ok(`/api/payments/${paymentId}/authorize`);
    await ok(`/api/payments/${paymentId}/complete`);
    await ok(`/api/orders/${orderId}/ship`, { trackingNumber: `TRK-${token}` });
    await ok(`/api/orders/${orderId}/deliver`);
    const taskId = (await ok("/api/tasks", { title: `e2e ${token}` })).taskId as string;
    const update = await request(`${producer}/api/tasks/${taskId}`, {
      method: "PUT",
      body: { assignee: "grace" },
      headers: { "x-api-key": apiKey },
    });
    expect(update.status).toBe(202);
    await ok(`/api/tasks/${taskId}/complete`);
    const userId = `user-${token}`;
    for (const eventType of ["login", "purchase", "logout"])
      await ok("/api/events", { userId, eventType, metadata: { token } });

    // Read models.
    const order = await waitFor(
      async () => {
        const res = await keyed(`${projection}/api/orders/${orderId}`);
        return res.body?.status === "Delivered" && res.body?.paymentStatus === "Completed"
          ? res.body
          : undefined;
      },
      30_000,
      "the order to be delivered and paid",
    );
    expect(order).toMatchObject({ customerId, totalAmount: 15, trackingNumber: `TRK-${token}` });
    const task = await waitFor(async () =>
      (await keyed(`${projection}/api/tasks/${taskId}`)).body?.status === "Completed" ? true : undefined,
    );
    expect(task).toBe(true);
    const customer = await waitFor(async () => {
      const res = await keyed(`${projection}/customer/${customerId}`);
      return res.body?.email === `ada-${token}@lovelace.dev` ? res.body : undefined;
    });
    expect(customer.name).toBe(`Ada ${token}`);
    const activity = await waitFor(async () => {
      const res = await keyed(`${projection}/api/events/user/${userId}`);
      return res.body?.count === 3 ? res.body : undefined;
    });
    expect(activity.events.map((e: { eventType: string }) => e.eventType)).toEqual([
      "login",
      "purchase",
      "logout",
    ]);

    // E-mails: OrderCreated, OrderConfirmed, OrderShipped, OrderDelivered, PaymentCompleted.
    const mails = await waitFor(
      async () => {
        const res = await request(`${mailApi}/api/v1/messages`);
        const mine = (res.body?.messages ?? []).filter(
          (m: { Subject: string; Snippet?: string }) =>
            `${m.Subject} ${m.Snippet ?? ""}`.includes(orderId) ||
            `${m.Subject} ${m.Snippet ?? ""}`.includes(`TRK-${token}`),
        );
        return mine.length >= 4 ? mine : undefined;
      },
      30_000,
      "the order's e-mails",
    );
    expect(
      mails.some((m: { Subject: string; Snippet?: string }) =>
        `${m.Subject} ${m.Snippet ?? ""}`.includes(`TRK-${token}`),
      ),
    ).toBe(true);
    const deliveries = await waitFor(
      async () => {
        const res = await keyed(`${notification}/api/deliveries?channel=email&limit=1000`);
        const forOrder = (res.body?.deliveries ?? []).filter((d: { eventId: string; status: string }) =>
          accepted.includes(d.eventId),
        );
        return forOrder.length >= 5 && forOrder.every((d: { status: string }) => d.status === "delivered")
          ? forOrder
          : undefined;
      },
      30_000,
      "e-mail deliveries",
    );
    expect(
      new Set(deliveries.map((d: { eventId: string; rule: string }) => `${d.eventId}/${d.rule}`)).size,
    ).toBe(deliveries.length);

    // Webhooks: each subscribed event once, each signed.
    const mine = await waitFor(
      async () => {
        const got = receipts.filter((r) => accepted.includes(r.eventId));
        return got.length >= 4 ? got : undefined;
      },
      30_000,
      "the webhook deliveries",
    );
    await new Promise((r) => setTimeout(r, 1000));
    const final = receipts.filter((r) => accepted.includes(r.eventId));
    expect(final).toHaveLength(4);
    expect(new Set(final.map((r) => r.eventId)).size).toBe(4);
    expect(final.every((r) => r.valid)).toBe(true);
    expect(final.every((r) => /^00-[0-9a-f]{32}-/.test(r.traceparent ?? ""))).toBe(true);
    expect(mine.length).toBe(4);
  });
});
