import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cartSaga } from "./cart.ts";
import { onboarding } from "./onboarding.ts";
import type { Context, Current, Input, Outcome, Saga } from "./saga.ts";
import { stepEventId } from "./step-id.ts";
import { stockWatch } from "./stock.ts";

const settings = {
  paymentTimeoutMs: 1000,
  cartIdleMs: 2000,
  activationReminderMs: 3000,
  lowStockThreshold: 5,
};
const contextOf = (processId: string): Context => ({
  processId,
  now: "2026-01-01T00:00:00.000Z",
  settings,
  eventIdOf: (step) => stepEventId(processId, step),
});

let version = 0;
const event = (eventType: string, aggregateType: string, aggregateId: string, data = {}): Input => ({
  kind: "event",
  event: {
    eventId: randomUUID(),
    eventType,
    aggregateType,
    aggregateId,
    timestamp: "2026-01-01T00:00:00.000Z",
    version: ++version,
    position: String(version),
    storedAt: "2026-01-01T00:00:00.000Z",
    data,
    metadata: { correlationId: "c", source: "spec" },
  },
});

function run<S>(saga: Saga<S>, processId: string, ...inputs: Input[]): Outcome<S>[] {
  let now: Current<S> = { state: saga.initial(), status: "active", stage: "new" };
  return inputs.map((input) => {
    const outcome = saga.decide(now, input, contextOf(processId)) ?? { ...now };
    now = { state: outcome.state, status: outcome.status, stage: outcome.stage };
    return outcome;
  });
}

describe("cart decider", () => {
  const line = { productId: "p", quantity: 2, unitPrice: 2.5 };
  it("turns a checked-out cart into an order with its customer, items and total", () => {
    const out = run(
      cartSaga,
      "cart:k",
      event("CartCreated", "Cart", "k", { customerId: "c-1" }),
      event("ItemAddedToCart", "Cart", "k", line),
      event("CartCheckedOut", "Cart", "k", { orderId: "o-9" }),
    );
    expect(out[0]!.setTimers).toEqual({ "cart-idle": "2026-01-01T00:00:02.000Z" });
    expect(out[2]!.commands).toEqual([
      {
        step: "order",
        eventType: "OrderCreated",
        aggregateType: "Order",
        aggregateId: "o-9",
        data: { customerId: "c-1", cartId: "k", orderId: "o-9", items: [line], totalAmount: 5 },
      },
    ]);
    expect(out[2]).toMatchObject({
      status: "completed",
      outcome: "checked-out",
      cancelTimers: ["cart-idle"],
    });
  });

  it("expires an open cart when its idle timer fires, and not a checked-out one", () => {
    const open = run(cartSaga, "cart:k", event("CartCreated", "Cart", "k", { customerId: "c" }), {
      kind: "timer",
      name: "cart-idle",
    });
    expect(open[1]!.commands?.map((c) => c.eventType)).toEqual(["CartExpired"]);
    const done = run(
      cartSaga,
      "cart:k",
      event("CartCreated", "Cart", "k", { customerId: "c" }),
      event("ItemAddedToCart", "Cart", "k", line),
      event("CartCheckedOut", "Cart", "k", { orderId: "o" }),
      { kind: "timer", name: "cart-idle" },
    );
    expect(done[3]!.commands ?? []).toEqual([]);
  });
});

describe("onboarding decider", () => {
  const registered = event("CustomerRegistered", "Customer", "u", { name: "Ana", email: "ana@example.com" });
  it("reminds once when the timer fires before the customer confirms", () => {
    const out = run(onboarding, "onboarding:u", registered, { kind: "timer", name: "activation-reminder" });
    expect(out[0]!.setTimers).toEqual({ "activation-reminder": "2026-01-01T00:00:03.000Z" });
    expect(out[1]!.commands).toEqual([
      {
        step: "reminder",
        eventType: "CustomerActivationReminded",
        aggregateType: "Customer",
        aggregateId: "u",
        data: { email: "ana@example.com" },
      },
    ]);
  });
  it("completes on activation and cancels the reminder", () => {
    const out = run(onboarding, "onboarding:u", registered, event("CustomerActivated", "Customer", "u"));
    expect(out[1]).toMatchObject({
      status: "completed",
      outcome: "activated",
      cancelTimers: ["activation-reminder"],
    });
  });
});

describe("stock decider", () => {
  it("raises the level by what was replenished, counting levels sent but not yet stored", () => {
    const out = run(
      stockWatch,
      "stock:p",
      event("StockUpdated", "Inventory", "p", { quantity: 10 }),
      event("StockReplenished", "Product", "p", { quantity: 5 }),
      event("StockReplenished", "Product", "p", { quantity: 2 }),
    );
    expect(out[1]!.commands![0]!.data).toEqual({ quantity: 15 });
    expect(out[2]!.commands![0]!.data).toEqual({ quantity: 17 });
  });
  it("alerts once when available stock falls below the threshold, again after it recovered", () => {
    const reserve = (q: number) => event("StockReserved", "Inventory", "p", { orderId: "o", quantity: q });
    const out = run(
      stockWatch,
      "stock:p",
      event("StockUpdated", "Inventory", "p", { quantity: 10, lowStockThreshold: 4 }),
      reserve(7),
      reserve(1),
      event("StockUpdated", "Inventory", "p", { quantity: 20 }),
      reserve(10),
    );
    expect(out.map((o) => (o.commands ?? []).map((c) => c.data))).toEqual([
      [],
      [{ quantity: 3, threshold: 4 }],
      [],
      [],
      [{ quantity: 2, threshold: 4 }],
    ]);
  });
});
