import { describe, expect, it } from "vitest";
import { evolveOrderReadModel } from "./order-read-model.ts";
import { orders } from "./orders.ts";
import { payments } from "./payments.ts";
import { eventOf, given, type Step } from "./spec-support.ts";

const items = [
  { productId: "p-1", quantity: 2, unitPrice: 10.5 },
  { productId: "p-2", quantity: 1, unitPrice: 4.25 },
];
const created: Step = ["OrderCreated", { customerId: "c-1", cartId: "cart-1", items, totalAmount: 25.25 }];
const upTo = (status: string): Step[] => {
  const flow: Step[] = [
    created,
    ["OrderValidated"],
    ["OrderConfirmed"],
    ["OrderShipped", { trackingNumber: "TRK-1", carrier: "DHL" }],
    ["OrderDelivered"],
  ];
  const index = ["Created", "Validated", "Confirmed", "Shipped", "Delivered"].indexOf(status);
  return flow.slice(0, index + 1);
};

describe("orders", () => {
  it("accepts created -> validated -> confirmed -> shipped -> delivered with the read model's fields", () => {
    const { state, events } = given(orders, upTo("Delivered"));
    expect(state).toMatchObject({
      orderId: "agg-1",
      customerId: "c-1",
      cartId: "cart-1",
      status: "Delivered",
      totalAmount: 25.25,
      items,
      trackingNumber: "TRK-1",
      carrier: "DHL",
      createdAt: events[0]!.timestamp,
      confirmedAt: events[2]!.timestamp,
      shippedAt: events[3]!.timestamp,
      deliveredAt: events[4]!.timestamp,
    });
  });

  it("accepts a total within half a cent of the items' sum and rejects any other", () => {
    const decide = given(orders, []).decide;
    expect(decide("OrderCreated", { customerId: "c-1", items, totalAmount: 25.254 })).toEqual({
      accepted: true,
    });
    expect(decide("OrderCreated", { customerId: "c-1", items, totalAmount: 25 })).toEqual({
      accepted: false,
      code: "TOTAL_MISMATCH",
      reason: "data/totalAmount must equal the sum of the items (25.25), got 25",
    });
  });

  it("rejects a data orderId that is not the aggregate id", () => {
    const data = { customerId: "c-1", orderId: "other", items, totalAmount: 25.25 };
    expect(given(orders, []).decide("OrderCreated", data)).toMatchObject({ code: "INVALID_DATA" });
  });

  it("rejects steps out of order", () => {
    expect(given(orders, []).decide("OrderValidated")).toMatchObject({ code: "AGGREGATE_NOT_FOUND" });
    expect(given(orders, upTo("Created")).decide(...created)).toMatchObject({
      code: "AGGREGATE_ALREADY_EXISTS",
    });
    expect(given(orders, upTo("Created")).decide("OrderConfirmed")).toEqual({
      accepted: false,
      code: "INVALID_STATE_TRANSITION",
      reason: "OrderConfirmed is not allowed when Order agg-1 is Created (only when Validated)",
    });
    expect(given(orders, upTo("Validated")).decide("OrderShipped", { trackingNumber: "T" })).toMatchObject({
      code: "INVALID_STATE_TRANSITION",
    });
    expect(given(orders, upTo("Confirmed")).decide("OrderDelivered")).toMatchObject({
      code: "INVALID_STATE_TRANSITION",
    });
  });

  it("can be cancelled until shipped, and not after", () => {
    for (const status of ["Created", "Validated", "Confirmed"]) {
      expect(given(orders, upTo(status)).decide("OrderCancelled", { reason: "changed mind" }).accepted).toBe(
        true,
      );
    }
    expect(given(orders, upTo("Shipped")).decide("OrderCancelled", { reason: "late" })).toEqual({
      accepted: false,
      code: "INVALID_STATE_TRANSITION",
      reason:
        "OrderCancelled is not allowed when Order agg-1 is Shipped (only when Created or Validated or Confirmed)",
    });
  });

  it("accepts nothing after delivery or cancellation", () => {
    const cancelled = given(orders, [...upTo("Validated"), ["OrderCancelled", { reason: "fraud" }]]);
    expect(cancelled.state).toMatchObject({ status: "Cancelled", cancelReason: "fraud" });
    const delivered = given(orders, upTo("Delivered"));
    for (const order of [cancelled, delivered]) {
      for (const type of ["OrderValidated", "OrderConfirmed", "OrderDelivered", "OrderCancelled"]) {
        expect(order.decide(type, { reason: "x" })).toMatchObject({ code: "INVALID_STATE_TRANSITION" });
      }
    }
  });

  it("folds the order's payment into the read model, the latest payment winning", () => {
    const order = given(orders, upTo("Validated"));
    const pay = (eventType: string, paymentId: string, data: Record<string, unknown> = {}) =>
      eventOf(payments, eventType, data, paymentId);
    const model = [
      pay("PaymentInitiated", "pay-1", { orderId: "agg-1", amount: 25.25 }),
      pay("PaymentFailed", "pay-1", { reason: "declined" }),
      pay("PaymentInitiated", "pay-2", { orderId: "agg-1", amount: 25.25 }),
      pay("PaymentAuthorized", "pay-2"),
      pay("PaymentFailed", "pay-1", { reason: "stale" }),
      pay("PaymentCompleted", "pay-2"),
      eventOf(orders, "OrderConfirmed"),
    ].reduce(evolveOrderReadModel, order.state);
    expect(model).toMatchObject({ status: "Confirmed", paymentId: "pay-2", paymentStatus: "Completed" });
  });
});

describe("order notifications", () => {
  const render = (history: Step[]) => {
    const event = given(orders, history).events.at(-1)!;
    return orders.notificationRules
      .filter((rule) => rule.eventType === event.eventType)
      .map((rule) => ({ channels: rule.channels, ...rule.template(event) }));
  };

  it("e-mails order creation with the total", () => {
    expect(render([created])).toEqual([
      {
        channels: ["email"],
        subject: "Order agg-1 received",
        text: "We received your order agg-1: 2 item(s), total 25.25.",
      },
    ]);
  });

  it("sends the tracking number by e-mail and SMS when shipped", () => {
    const [shipped] = render([
      ...upTo("Confirmed"),
      ["OrderShipped", { trackingNumber: "TRK-42", carrier: "UPS" }],
    ]);
    expect(shipped?.channels).toEqual(["email", "sms"]);
    expect(shipped?.text).toBe("Your order agg-1 has shipped with UPS. Tracking number: TRK-42.");
  });

  it("has the seed's channels per event", () => {
    const channels = Object.fromEntries(orders.notificationRules.map((r) => [r.eventType, r.channels]));
    expect(channels).toEqual({
      OrderCreated: ["email"],
      OrderConfirmed: ["email"],
      OrderCancelled: ["email"],
      OrderShipped: ["email", "sms"],
      OrderDelivered: ["email", "push"],
    });
  });
});

describe("OrderPaid (the roadmap seed)", () => {
  const created: Step = [
    "OrderCreated",
    { customerId: "c-1", items: [{ productId: "p", quantity: 1, unitPrice: 5 }], totalAmount: 5 },
  ];

  it("records the payment once, keeping the order's status", () => {
    const paid = given(orders, [
      created,
      ["OrderValidated"],
      ["OrderConfirmed"],
      ["OrderPaid", { paymentId: "pay-1" }],
    ]);
    expect(paid.state).toMatchObject({ status: "Confirmed", paymentId: "pay-1" });
    expect(paid.state.paidAt).not.toBeNull();
    expect(paid.decide("OrderPaid", {})).toMatchObject({ code: "NO_CHANGE" });
    expect(given(orders, [created]).decide("OrderPaid", {})).toMatchObject({
      code: "INVALID_STATE_TRANSITION",
    });
  });
});
