import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toKafkaRecord, type CommittedEvent } from "@eventscope/contracts";
import { waitFor } from "@eventscope/testkit";
import { produce } from "../../notification/test/support.ts";
import {
  checkout,
  onceEach,
  post,
  processOf,
  request,
  startStack,
  stock,
  streamOf,
  timings,
  waitForStage,
  type Stack,
} from "./support.ts";

// The sagas end to end: the producer, event store and projection, and the process manager as
// real processes on the real Kafka and PostgreSQL. Every step the process manager takes is sent
// through the producer and must be in the event store exactly once.
let stack: Stack;
const id = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  stack = await startStack("pm");
});
afterAll(async () => {
  await stack?.stop();
});

/** Completes the order's payment as the payment provider would, once the process asked for it. */
async function payment(orderId: string): Promise<string> {
  const p = await waitForStage(stack, `order:${orderId}`, "awaiting-payment");
  return p.state.paymentId as string;
}

async function expectEachStepStoredOnce(processId: string) {
  const p = (await processOf(stack, processId))!;
  for (const step of p.steps.filter((s) => s.status === "committed")) {
    const s = step as typeof step & { aggregateType: string; aggregateId: string };
    const events = await streamOf(stack, s.aggregateType, s.aggregateId);
    expect(onceEach(events).get(step.eventId), `${processId} ${step.step}`).toBe(1);
    expect(
      events.filter(
        (e) =>
          e.eventType === step.eventType &&
          e.metadata.source === "process-manager" &&
          e.eventId === step.eventId,
      ),
    ).toHaveLength(1);
  }
  return p;
}

describe("order fulfilment", () => {
  it("takes a checkout to a confirmed, paid order, every step stored once under the checkout's correlation id", async () => {
    const [a, b] = [id("pa"), id("pb")];
    await stock(stack, a, 10);
    await stock(stack, b, 10);
    const { orderId, correlationId } = await checkout(stack, "cust-1", [
      { productId: a, quantity: 2, unitPrice: 5 },
      { productId: b, quantity: 1, unitPrice: 7.5 },
    ]);
    expect(orderId).toEqual(expect.any(String));
    const paymentId = await payment(orderId);
    const order = await waitFor(async () => {
      const res = await request(`${stack.projection.url}/api/orders/${orderId}`);
      return res.status === 200 && res.body.paymentId === paymentId ? res.body : undefined;
    });
    expect(order).toMatchObject({
      customerId: "cust-1",
      totalAmount: 17.5,
      status: "Validated",
      paymentStatus: "Initiated",
    });
    expect((await post(stack, `/api/payments/${paymentId}/authorize`, {})).status).toBe(202);
    expect((await post(stack, `/api/payments/${paymentId}/complete`)).status).toBe(202);
    const done = await waitForStage(stack, `order:${orderId}`, "confirmed");
    expect(done).toMatchObject({ status: "completed", outcome: "confirmed", nextTimer: null });
    expect(done.steps.map((s) => s.step)).toEqual([
      `reserve:${a}`,
      `reserve:${b}`,
      "validate",
      "pay",
      "confirm",
      "paid",
    ]);
    await expectEachStepStoredOnce(`order:${orderId}`);
    const orderEvents = await streamOf(stack, "Order", orderId);
    expect(orderEvents.map((e) => e.eventType)).toEqual([
      "OrderCreated",
      "OrderValidated",
      "OrderConfirmed",
      "OrderPaid",
    ]);
    for (const e of orderEvents) expect(e.metadata.correlationId).toBe(correlationId);
    // Each step names the event that caused it.
    const validated = orderEvents[1]!;
    const reservedB = (await streamOf(stack, "Inventory", b)).find((e) => e.eventType === "StockReserved")!;
    expect(validated.metadata.causationId).toBe(reservedB.eventId);
    await waitFor(
      async () =>
        (await request(`${stack.projection.url}/api/orders/${orderId}`)).body.status === "Confirmed",
    );
  });

  it("releases the stock and cancels the order when the payment fails", async () => {
    const a = id("pf");
    await stock(stack, a, 10);
    const { orderId } = await checkout(stack, "cust-2", [{ productId: a, quantity: 4, unitPrice: 1 }]);
    const paymentId = await payment(orderId);
    expect((await post(stack, `/api/payments/${paymentId}/fail`, { reason: "card declined" })).status).toBe(
      202,
    );
    const p = await waitForStage(stack, `order:${orderId}`, "cancelled");
    expect(p).toMatchObject({ status: "cancelled", outcome: "payment-failed" });
    const cancelled = (await streamOf(stack, "Order", orderId)).at(-1)!;
    expect(cancelled).toMatchObject({
      eventType: "OrderCancelled",
      data: { reason: "payment failed: card declined" },
    });
    const inventory = await streamOf(stack, "Inventory", a);
    expect(inventory.map((e) => e.eventType)).toEqual(["StockUpdated", "StockReserved", "StockReleased"]);
    await expectEachStepStoredOnce(`order:${orderId}`);
  });

  it("compensates an order whose payment has no outcome in time, and fails the payment", async () => {
    const a = id("pt");
    await stock(stack, a, 10);
    const { orderId } = await checkout(stack, "cust-3", [{ productId: a, quantity: 1, unitPrice: 3 }]);
    const paymentId = await payment(orderId);
    const pending = (await processOf(stack, `order:${orderId}`))!;
    expect(pending.nextTimer?.name).toBe("payment-timeout");
    const p = await waitForStage(stack, `order:${orderId}`, "cancelled", timings.PAYMENT_TIMEOUT_MS + 30_000);
    expect(p.outcome).toBe("payment-timeout");
    expect((await streamOf(stack, "Payment", paymentId)).map((e) => e.eventType)).toEqual([
      "PaymentInitiated",
      "PaymentFailed",
    ]);
    expect((await streamOf(stack, "Inventory", a)).map((e) => e.eventType)).toEqual([
      "StockUpdated",
      "StockReserved",
      "StockReleased",
    ]);
    await expectEachStepStoredOnce(`order:${orderId}`);
  });

  it("releases the line reserved before the short one and cancels without asking for payment", async () => {
    const [a, b] = [id("os"), id("os")];
    await stock(stack, a, 10);
    await stock(stack, b, 1);
    const { orderId } = await checkout(stack, "cust-4", [
      { productId: a, quantity: 2, unitPrice: 1 },
      { productId: b, quantity: 3, unitPrice: 1 },
    ]);
    const p = await waitForStage(stack, `order:${orderId}`, "cancelled");
    expect(p.outcome).toBe("out-of-stock");
    expect(p.steps.map((s) => [s.step, s.status])).toEqual([
      [`reserve:${a}`, "committed"],
      [`reserve:${b}`, "rejected"],
      [`release:${a}`, "committed"],
      ["cancel", "committed"],
    ]);
    const order = await streamOf(stack, "Order", orderId);
    expect(order.map((e) => e.eventType)).toEqual(["OrderCreated", "OrderCancelled"]);
    expect(order[1]!.data.reason).toMatch(new RegExp(`^out of stock: ${b}`));
    expect((await streamOf(stack, "Inventory", a)).map((e) => e.eventType)).toEqual([
      "StockUpdated",
      "StockReserved",
      "StockReleased",
    ]);
    await expectEachStepStoredOnce(`order:${orderId}`);
  });

  it("refunds the payment and returns the stock when a confirmed order is cancelled", async () => {
    const a = id("rf");
    await stock(stack, a, 10);
    const { orderId } = await checkout(stack, "cust-5", [{ productId: a, quantity: 1, unitPrice: 20 }]);
    const paymentId = await payment(orderId);
    await post(stack, `/api/payments/${paymentId}/authorize`, {});
    // The roadmap seed's name for a completed payment.
    expect((await post(stack, `/api/payments/${paymentId}/capture`)).status).toBe(202);
    await waitForStage(stack, `order:${orderId}`, "confirmed");
    expect((await post(stack, `/api/orders/${orderId}/cancel`, { reason: "changed my mind" })).status).toBe(
      202,
    );
    const p = await waitForStage(stack, `order:${orderId}`, "refunded");
    expect(p).toMatchObject({ status: "cancelled", outcome: "refunded" });
    expect((await streamOf(stack, "Payment", paymentId)).map((e) => e.eventType)).toEqual([
      "PaymentInitiated",
      "PaymentAuthorized",
      "PaymentCompleted",
      "PaymentRefunded",
    ]);
    expect((await streamOf(stack, "Inventory", a)).at(-1)?.eventType).toBe("StockReleased");
    await expectEachStepStoredOnce(`order:${orderId}`);
  });
});

describe("timers, inventory and onboarding", () => {
  it("expires a cart left idle", async () => {
    const created = await post(stack, "/api/carts", { customerId: "cust-6" });
    const cartId = created.body.cartId as string;
    await post(stack, `/api/carts/${cartId}/items`, { productId: "x", quantity: 1, unitPrice: 1 });
    const p = await waitForStage(stack, `cart:${cartId}`, "expired", timings.CART_IDLE_MS + 30_000);
    expect(p.outcome).toBe("expired");
    expect((await streamOf(stack, "Cart", cartId)).map((e) => e.eventType)).toEqual([
      "CartCreated",
      "ItemAddedToCart",
      "CartExpired",
    ]);
  });

  it("raises the level on a replenishment and alerts once when stock falls below the threshold", async () => {
    const a = id("ls");
    const product = { productId: a, name: "Lamp", sku: a, price: 1 };
    expect((await post(stack, "/api/products", product)).status).toBe(202);
    await stock(stack, a, 4);
    expect((await post(stack, `/api/products/${a}/replenish`, { quantity: 6 })).status).toBe(202);
    await waitFor(async () => (await processOf(stack, `stock:${a}`))?.state.inventory.level === 10);
    const { orderId } = await checkout(stack, "cust-7", [{ productId: a, quantity: 8, unitPrice: 1 }]);
    await waitForStage(stack, `order:${orderId}`, "awaiting-payment");
    const alerts = await waitFor(async () => {
      const events = (await streamOf(stack, "Inventory", a)).filter((e) => e.eventType === "LowStockAlert");
      return events.length > 0 ? events : undefined;
    });
    expect(alerts.map((e) => e.data)).toEqual([{ quantity: 2, threshold: 3 }]);
    expect((await streamOf(stack, "Inventory", a)).map((e) => e.eventType)).toEqual([
      "StockUpdated",
      "StockUpdated",
      "StockReserved",
      "LowStockAlert",
    ]);
  });

  it("activates a registered customer who confirms, with no reminder", async () => {
    const customerId = id("c");
    await post(stack, "/api/customers", { customerId, name: "Ana", email: "ana@example.com" });
    await waitForStage(stack, `onboarding:${customerId}`, "awaiting-confirmation");
    expect((await post(stack, `/customer/${customerId}/activate`)).status).toBe(202);
    const p = await waitForStage(stack, `onboarding:${customerId}`, "activated");
    expect(p).toMatchObject({ status: "completed", outcome: "activated", nextTimer: null });
    await new Promise((r) => setTimeout(r, timings.ACTIVATION_REMINDER_MS + 1000));
    expect((await streamOf(stack, "Customer", customerId)).map((e) => e.eventType)).toEqual([
      "CustomerRegistered",
      "CustomerActivated",
    ]);
  });

  it("reminds a registered customer who has not confirmed in time", async () => {
    const customerId = id("c");
    await post(stack, "/api/customers", { customerId, name: "Bo", email: "bo@example.com" });
    const p = await waitForStage(
      stack,
      `onboarding:${customerId}`,
      "reminded",
      timings.ACTIVATION_REMINDER_MS + 30_000,
    );
    expect(p.status).toBe("active");
    const events = await streamOf(stack, "Customer", customerId);
    expect(events.map((e) => [e.eventType, e.data])).toEqual([
      // Sent as v1 (a full name), read back upcast to v2.
      ["CustomerRegistered", { givenName: "Bo", email: "bo@example.com" }],
      ["CustomerActivationReminded", { email: "bo@example.com" }],
    ]);
  });
});

describe("crashes and redeliveries", () => {
  it("finishes every order once after a SIGKILL mid-flow and a redelivered event", async () => {
    const a = id("ck");
    await stock(stack, a, 100);
    const orders = await Promise.all(
      [1, 2, 3].map(() => checkout(stack, "cust-8", [{ productId: a, quantity: 1, unitPrice: 2 }])),
    );
    await stack.manager.kill("SIGKILL");
    await stack.manager.restart();
    const payments = await Promise.all(orders.map((o) => payment(o.orderId)));
    for (const paymentId of payments) {
      await post(stack, `/api/payments/${paymentId}/authorize`, {});
      await post(stack, `/api/payments/${paymentId}/complete`);
    }
    for (const o of orders) await waitForStage(stack, `order:${o.orderId}`, "confirmed");
    // The committed PaymentCompleted of the first order delivered once more.
    const completed = (await streamOf(stack, "Payment", payments[0]!)).find(
      (e) => e.eventType === "PaymentCompleted",
    )!;
    const committed = completed as unknown as CommittedEvent;
    await produce(stack.topics.committed, [toKafkaRecord(committed)]);
    await stack.manager.kill("SIGKILL");
    await stack.manager.restart();
    await new Promise((r) => setTimeout(r, 3000));
    for (const o of orders) {
      const p = await expectEachStepStoredOnce(`order:${o.orderId}`);
      expect(p).toMatchObject({ status: "completed", outcome: "confirmed" });
      expect((await streamOf(stack, "Order", o.orderId)).map((e) => e.eventType)).toEqual([
        "OrderCreated",
        "OrderValidated",
        "OrderConfirmed",
        "OrderPaid",
      ]);
    }
    const reservations = (await streamOf(stack, "Inventory", a)).filter(
      (e) => e.eventType === "StockReserved",
    );
    expect(reservations).toHaveLength(3);
  });
});
