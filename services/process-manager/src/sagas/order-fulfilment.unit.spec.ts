import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { orderFulfilment, type OrderProcessState } from "./order-fulfilment.ts";
import type { Context, Current, Input, Outcome } from "./saga.ts";
import { stepEventId } from "./step-id.ts";

const settings = {
  paymentTimeoutMs: 60_000,
  cartIdleMs: 60_000,
  activationReminderMs: 60_000,
  lowStockThreshold: 5,
};
const context: Context = {
  processId: "order:o-1",
  now: "2026-01-01T00:00:00.000Z",
  settings,
  eventIdOf: (step) => stepEventId("order:o-1", step),
};

let version = 0;
const event = (eventType: string, aggregateType: string, aggregateId: string, data = {}): Input => ({
  kind: "event",
  event: {
    eventId: randomUUID(),
    eventType,
    aggregateType,
    aggregateId,
    timestamp: context.now,
    version: ++version,
    position: String(version),
    storedAt: context.now,
    data,
    metadata: { correlationId: "c", source: "spec" },
  },
});

const created = event("OrderCreated", "Order", "o-1", {
  customerId: "c-1",
  items: [
    { productId: "a", quantity: 2, unitPrice: 5 },
    { productId: "b", quantity: 1, unitPrice: 10 },
  ],
  totalAmount: 20,
});

/** Feeds inputs one after the other, from a new process. */
function run(...inputs: Input[]): Outcome<OrderProcessState>[] {
  let now: Current<OrderProcessState> = { state: orderFulfilment.initial(), status: "active", stage: "new" };
  return inputs.map((input) => {
    const outcome = orderFulfilment.decide(now, input, context) ?? { ...now };
    now = { state: outcome.state, status: outcome.status, stage: outcome.stage };
    return outcome;
  });
}

const steps = (o: Outcome<OrderProcessState> | undefined) => (o?.commands ?? []).map((c) => c.step);
const reserved = (productId: string, quantity: number) =>
  event("StockReserved", "Inventory", productId, { orderId: "o-1", quantity });
const paymentId = stepEventId("order:o-1", "payment-id");
const toPayment = [created, reserved("a", 2), reserved("b", 1), event("OrderValidated", "Order", "o-1")];

describe("order fulfilment decider", () => {
  it("reserves the lines one after the other, validates, then asks for the total with a timeout", () => {
    const out = run(...toPayment);
    expect(out.map(steps)).toEqual([["reserve:a"], ["reserve:b"], ["validate"], ["pay"]]);
    expect(out[0]!.commands![0]).toMatchObject({
      aggregateType: "Inventory",
      aggregateId: "a",
      data: { orderId: "o-1", quantity: 2 },
    });
    const pay = out[3]!;
    expect(pay.commands![0]).toMatchObject({
      eventType: "PaymentInitiated",
      aggregateId: paymentId,
      data: { orderId: "o-1", amount: 20 },
    });
    expect(pay.setTimers).toEqual({ "payment-timeout": "2026-01-01T00:01:00.000Z" });
    expect(pay.links).toEqual([`Payment/${paymentId}`]);
  });

  it("confirms and pays the order when the payment completes", () => {
    const out = run(
      ...toPayment,
      event("PaymentCompleted", "Payment", paymentId),
      event("OrderConfirmed", "Order", "o-1"),
    );
    expect(steps(out[4])).toEqual(["confirm", "paid"]);
    expect(out[4]!.cancelTimers).toEqual(["payment-timeout"]);
    expect(out[5]).toMatchObject({ status: "completed", stage: "confirmed", outcome: "confirmed" });
  });

  it("releases every reserved line then cancels when the payment fails", () => {
    const out = run(...toPayment, event("PaymentFailed", "Payment", paymentId, { reason: "declined" }));
    expect(out[4]).toMatchObject({ status: "compensating" });
    expect(out[4]!.commands!.map((c) => [c.step, c.data])).toEqual([
      ["release:a", { orderId: "o-1", quantity: 2 }],
      ["release:b", { orderId: "o-1", quantity: 1 }],
      ["cancel", { reason: "payment failed: declined" }],
    ]);
    const [ended] = run(
      ...toPayment,
      event("PaymentFailed", "Payment", paymentId, { reason: "x" }),
      event("OrderCancelled", "Order", "o-1", { reason: "x" }),
    ).slice(-1);
    expect(ended).toMatchObject({ status: "cancelled", outcome: "payment-failed" });
  });

  it("fails the payment and compensates when the payment timer fires", () => {
    const out = run(...toPayment, { kind: "timer", name: "payment-timeout" });
    expect(steps(out[4])).toEqual(["payment-timeout", "release:a", "release:b", "cancel"]);
    expect(out[4]!.commands![0]).toMatchObject({ eventType: "PaymentFailed", aggregateId: paymentId });
  });

  it("releases only what was reserved before the short line and asks for no payment", () => {
    const out = run(created, reserved("a", 2), {
      kind: "rejected",
      step: "reserve:b",
      eventId: "x",
      code: "INSUFFICIENT_STOCK",
      reason: "0 available",
    });
    expect(out[2]!.commands!.map((c) => c.step)).toEqual(["release:a", "cancel"]);
    expect(out[2]!.commands![1]!.data).toEqual({ reason: "out of stock: b: 0 available" });
    expect(out[2]!.state.cancelOutcome).toBe("out-of-stock");
  });

  it("refunds a completed payment when the confirmed order is cancelled, and a payment completing too late", () => {
    const confirmed = [
      ...toPayment,
      event("PaymentCompleted", "Payment", paymentId),
      event("OrderConfirmed", "Order", "o-1"),
    ];
    const out = run(...confirmed, event("OrderCancelled", "Order", "o-1", { reason: "changed mind" }));
    expect(steps(out.at(-1))).toEqual(["release:a", "release:b", "refund"]);
    const late = run(
      ...toPayment,
      { kind: "timer", name: "payment-timeout" },
      event("PaymentCompleted", "Payment", paymentId),
    );
    expect(steps(late.at(-1))).toEqual(["refund"]);
  });

  it("ignores a timer that is no longer relevant and another payment's events", () => {
    const out = run(
      ...toPayment,
      event("PaymentCompleted", "Payment", paymentId),
      { kind: "timer", name: "payment-timeout" },
      event("PaymentFailed", "Payment", "other", { reason: "x" }),
    );
    expect(steps(out[5])).toEqual([]);
    expect(steps(out[6])).toEqual([]);
    expect(out[6]!.stage).toBe("confirming");
  });

  it("names the same event id for a step however often it is decided", () => {
    expect(stepEventId("order:o-1", "reserve:a")).toBe(stepEventId("order:o-1", "reserve:a"));
    expect(stepEventId("order:o-1", "reserve:a")).not.toBe(stepEventId("order:o-2", "reserve:a"));
    expect(stepEventId("order:o-1", "cancel")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe("which orders the process drives", () => {
  const committed = (source: string) => ({
    ...(created.kind === "event" ? created.event : ({} as never)),
    metadata: { correlationId: "c", source },
  });
  it("starts for the order a checkout made, not for one a client posted", () => {
    expect(orderFulfilment.route(committed("process-manager"))).toEqual([
      { processId: "order:o-1", start: true },
    ]);
    expect(orderFulfilment.route(committed("producer"))).toEqual([{ processId: "order:o-1", start: false }]);
  });
});
