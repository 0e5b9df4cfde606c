// Order fulfilment (seed 002's flow, seed 001's order saga): an order reserves its lines one
// after the other, is validated, and asks for its payment. A completed payment confirms and pays
// the order; a failed one, no outcome in time, or too little stock for a line releases what was
// reserved and cancels the order with the reason. A cancel after the payment completed refunds it.
import type { LineItem, OrderCreated, PaymentFailed } from "@eventscope/contracts";
import { after, type Command, type Context, type Current, type Outcome, type Saga } from "./saga.ts";

export type OrderStage =
  | "reserving"
  | "validating"
  | "awaiting-payment"
  | "confirming"
  | "confirmed"
  | "compensating"
  | "refunding"
  | "cancelled"
  | "refunded";

export interface OrderProcessState {
  orderId: string | null;
  customerId: string | null;
  totalAmount: number;
  currency: string | null;
  /** One line per product (quantities of a product listed twice are added up). */
  lines: { productId: string; quantity: number }[];
  /** Index of the line being reserved. */
  next: number;
  reserved: Record<string, number>;
  released: Record<string, number>;
  paymentId: string | null;
  paymentStatus: string | null;
  cancelReason: string | null;
  /** The outcome counted once the cancellation this process asked for is stored. */
  cancelOutcome: string | null;
}

export const PAYMENT_TIMEOUT = "payment-timeout";

type S = OrderProcessState;
type Now = Current<S>;

export const orderProcessId = (orderId: string): string => `order:${orderId}`;

const linesOf = (items: readonly LineItem[]): S["lines"] => {
  const byProduct = new Map<string, number>();
  for (const item of items)
    byProduct.set(item.productId, (byProduct.get(item.productId) ?? 0) + item.quantity);
  return [...byProduct].map(([productId, quantity]) => ({ productId, quantity }));
};

const reserve = (s: S, index: number): Command => {
  const line = s.lines[index]!;
  return {
    step: `reserve:${line.productId}`,
    eventType: "StockReserved",
    aggregateType: "Inventory",
    aggregateId: line.productId,
    data: { orderId: s.orderId, quantity: line.quantity },
  };
};

const held = (s: S): [string, number][] =>
  Object.entries(s.reserved).filter(([productId]) => !Object.hasOwn(s.released, productId));

const releases = (s: S): Command[] =>
  held(s).map(([productId, quantity]) => ({
    step: `release:${productId}`,
    eventType: "StockReleased",
    aggregateType: "Inventory",
    aggregateId: productId,
    data: { orderId: s.orderId, quantity },
  }));

const onOrder = (s: S, step: string, eventType: string, data: Record<string, unknown> = {}): Command => ({
  step,
  eventType,
  aggregateType: "Order",
  aggregateId: s.orderId!,
  data,
});

const onPayment = (s: S, step: string, eventType: string, data: Record<string, unknown> = {}): Command => ({
  step,
  eventType,
  aggregateType: "Payment",
  aggregateId: s.paymentId!,
  data,
});

/** Releases what is held and cancels the order; the process ends when the cancel is stored. */
function compensate(now: Now, reason: string, outcome: string, extra: Command[] = []): Outcome<S> {
  const state = { ...now.state, cancelReason: reason, cancelOutcome: outcome };
  return {
    state,
    status: "compensating",
    stage: "compensating",
    commands: [...extra, ...releases(state), onOrder(state, "cancel", "OrderCancelled", { reason })],
    cancelTimers: [PAYMENT_TIMEOUT],
  };
}

function requestPayment(now: Now, context: Context): Outcome<S> {
  const s = now.state;
  if (s.totalAmount <= 0) {
    return { ...now, stage: "confirming", commands: [onOrder(s, "confirm", "OrderConfirmed")] };
  }
  const paymentId = context.eventIdOf("payment-id");
  const state = { ...s, paymentId };
  const data = { orderId: s.orderId, amount: s.totalAmount, ...(s.currency ? { currency: s.currency } : {}) };
  return {
    ...now,
    state,
    stage: "awaiting-payment",
    commands: [onPayment(state, "pay", "PaymentInitiated", data)],
    setTimers: { [PAYMENT_TIMEOUT]: after(context.now, context.settings.paymentTimeoutMs) },
    links: [`Payment/${paymentId}`],
  };
}

function onPaymentEvent(now: Now, eventType: string, data: Record<string, unknown>): Outcome<S> | undefined {
  const s = now.state;
  switch (eventType) {
    case "PaymentProcessing":
    case "PaymentAuthorized":
      return { ...now, state: { ...s, paymentStatus: eventType.slice("Payment".length) } };
    case "PaymentCompleted": {
      const state = { ...s, paymentStatus: "Completed" };
      const live = { ...now, state, cancelTimers: [PAYMENT_TIMEOUT] };
      if (now.status === "active" && now.stage === "awaiting-payment") {
        const paid = { paymentId: s.paymentId, amount: s.totalAmount };
        return {
          ...live,
          stage: "confirming",
          commands: [onOrder(s, "confirm", "OrderConfirmed"), onOrder(s, "paid", "OrderPaid", paid)],
        };
      }
      // Completed after the order was cancelled (a late outcome): the money goes back.
      if (now.status === "compensating" || now.status === "cancelled") {
        const refund = { reason: `order cancelled: ${s.cancelReason ?? "cancelled"}`, amount: s.totalAmount };
        return { ...live, commands: [onPayment(s, "refund", "PaymentRefunded", refund)] };
      }
      return live;
    }
    case "PaymentFailed": {
      const state = { ...s, paymentStatus: "Failed" };
      if (now.status !== "active" || now.stage !== "awaiting-payment") return { ...now, state };
      const reason = `payment failed: ${(data as PaymentFailed).reason}`;
      return compensate({ ...now, state }, reason, "payment-failed");
    }
    case "PaymentRefunded":
      return {
        ...now,
        state: { ...s, paymentStatus: "Refunded" },
        status: "cancelled",
        stage: "refunded",
        outcome: "refunded",
      };
    default:
      return undefined;
  }
}

/** A cancel from outside (a client): release, and refund or fail the payment. */
function cancelledFromOutside(now: Now, reason: string): Outcome<S> {
  const s = { ...now.state, cancelReason: reason };
  const commands = releases(s);
  const base = { ...now, state: s, cancelTimers: [PAYMENT_TIMEOUT] };
  if (s.paymentId !== null && s.paymentStatus === "Completed") {
    const refund = { reason: `order cancelled: ${reason}`, amount: s.totalAmount };
    commands.push(onPayment(s, "refund", "PaymentRefunded", refund));
    return { ...base, status: "compensating", stage: "refunding", commands };
  }
  if (s.paymentId !== null && s.paymentStatus !== "Failed" && s.paymentStatus !== "Refunded")
    commands.push(
      onPayment(s, "payment-cancelled", "PaymentFailed", { reason: `order cancelled: ${reason}` }),
    );
  return { ...base, status: "cancelled", stage: "cancelled", outcome: "cancelled", commands };
}

export const orderFulfilment: Saga<S> = {
  type: "order",
  trace: "process",
  route(event) {
    // The process drives the orders a checkout made (the cart process's OrderCreated); an order a
    // client posts with POST /api/orders is the client's to walk through its routes, as the seed's
    // users do, and two drivers of one order would refuse each other's steps.
    if (event.aggregateType === "Order")
      return [
        {
          processId: orderProcessId(event.aggregateId),
          start: event.eventType === "OrderCreated" && event.metadata.source === "process-manager",
        },
      ];
    if (event.aggregateType === "Inventory" && typeof event.data["orderId"] === "string")
      return [{ processId: orderProcessId(event.data["orderId"]) }];
    if (event.eventType === "PaymentInitiated" && typeof event.data["orderId"] === "string")
      return [{ processId: orderProcessId(event.data["orderId"]) }];
    if (event.aggregateType === "Payment") return [{ linkedStream: `Payment/${event.aggregateId}` }];
    return [];
  },
  initial: () => ({
    orderId: null,
    customerId: null,
    totalAmount: 0,
    currency: null,
    lines: [],
    next: 0,
    reserved: {},
    released: {},
    paymentId: null,
    paymentStatus: null,
    cancelReason: null,
    cancelOutcome: null,
  }),
  decide(now, input, context) {
    const s = now.state;
    if (input.kind === "timer") {
      if (input.name !== PAYMENT_TIMEOUT || now.status !== "active" || now.stage !== "awaiting-payment")
        return undefined;
      const seconds = Math.round(context.settings.paymentTimeoutMs / 1000);
      const reason = `no payment outcome within ${seconds} s`;
      const fail = onPayment(s, "payment-timeout", "PaymentFailed", { reason });
      return compensate(now, `payment timed out: ${reason}`, "payment-timeout", [fail]);
    }
    if (input.kind === "rejected") {
      // Too little stock for a line: what was reserved goes back, and no payment is asked for.
      if (input.step.startsWith("reserve:") && now.status === "active") {
        const productId = input.step.slice("reserve:".length);
        return compensate(now, `out of stock: ${productId}: ${input.reason}`, "out-of-stock");
      }
      return undefined;
    }
    const { event } = input;
    const data = event.data;
    if (event.aggregateType === "Payment") {
      if (event.eventType === "PaymentInitiated") {
        if (s.paymentId !== null && s.paymentId !== event.aggregateId) return undefined;
        const state = { ...s, paymentId: event.aggregateId, paymentStatus: "Initiated" };
        return { ...now, state, links: [`Payment/${event.aggregateId}`] };
      }
      if (event.aggregateId !== s.paymentId) return undefined;
      return onPaymentEvent(now, event.eventType, data);
    }
    if (event.aggregateType === "Inventory") {
      const productId = event.aggregateId;
      const quantity = Number(data["quantity"]);
      if (event.eventType === "StockReleased")
        return { ...now, state: { ...s, released: { ...s.released, [productId]: quantity } } };
      if (event.eventType !== "StockReserved") return undefined;
      const state = { ...s, reserved: { ...s.reserved, [productId]: quantity } };
      // Reserved after the order was given up: it goes straight back.
      if (now.status !== "active") return { ...now, state, commands: releases(state) };
      const next = s.next + 1;
      if (next < s.lines.length)
        return { ...now, state: { ...state, next }, commands: [reserve(state, next)] };
      return {
        ...now,
        state: { ...state, next },
        stage: "validating",
        commands: [onOrder(state, "validate", "OrderValidated")],
      };
    }
    switch (event.eventType) {
      case "OrderCreated": {
        if (s.orderId !== null) return undefined;
        const created = data as OrderCreated;
        const state: S = {
          ...s,
          orderId: event.aggregateId,
          customerId: created.customerId,
          totalAmount: created.totalAmount,
          currency: created.currency ?? null,
          lines: linesOf(created.items),
        };
        return { state, status: "active", stage: "reserving", commands: [reserve(state, 0)] };
      }
      case "OrderValidated":
        return now.status === "active" ? requestPayment(now, context) : undefined;
      case "OrderConfirmed":
        if (now.status !== "active") return undefined;
        return { ...now, status: "completed", stage: "confirmed", outcome: "confirmed" };
      case "OrderCancelled": {
        if (now.status === "cancelled") return undefined;
        if (now.status === "compensating" && now.stage === "compensating")
          return { ...now, status: "cancelled", stage: "cancelled", outcome: s.cancelOutcome ?? "cancelled" };
        return cancelledFromOutside(now, String(data["reason"]));
      }
      default:
        return undefined;
    }
  },
};
