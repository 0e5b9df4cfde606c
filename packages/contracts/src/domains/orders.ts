// Orders (seed 002): created -> validated -> confirmed -> shipped -> delivered; cancellable until
// shipped; nothing after delivered or cancelled. OrderPaid (the roadmap seed) records the payment
// once, without a status of its own. The state has the seed's OrderReadModel fields.
import { checkInvariant, rejected, rejectionCodes, unknownEventType, type Domain } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { sumOfItems, lineItemSchema, type LineItem } from "./carts.ts";
import { orderNotificationRules } from "./order-notifications.ts";
import type { PaymentStatus } from "./payments.ts";
import { currency, eventData, identifier, money, noData, text } from "./schema.ts";
import { rejectUnchanged, requireNew, requireStatus } from "./transitions.ts";

export type OrderStatus = "Created" | "Validated" | "Confirmed" | "Shipped" | "Delivered" | "Cancelled";

export type OrderState = {
  orderId: string | null;
  customerId: string | null;
  cartId: string | null;
  status: OrderStatus | null;
  totalAmount: number;
  currency: string | null;
  items: LineItem[];
  /** Filled from the order's Payment events by evolveOrderReadModel; the Order stream never sets them. */
  paymentId: string | null;
  paymentStatus: PaymentStatus | null;
  trackingNumber: string | null;
  carrier: string | null;
  cancelReason: string | null;
  createdAt: string | null;
  validatedAt: string | null;
  confirmedAt: string | null;
  shippedAt: string | null;
  deliveredAt: string | null;
  cancelledAt: string | null;
  paidAt: string | null;
};

export type OrderCreated = {
  customerId: string;
  cartId?: string;
  orderId?: string;
  items: LineItem[];
  totalAmount: number;
  currency?: string;
};
export type OrderShipped = { trackingNumber: string; carrier?: string };
export type OrderCancelled = { reason: string };
export type OrderPaid = { paymentId?: string; amount?: number };

/** Largest accepted gap between totalAmount and the sum of the items (half a cent). */
export const totalTolerance = 0.005;

export const orders: Domain<OrderState> = {
  name: "orders",
  aggregateType: "Order",
  events: {
    OrderCreated: eventData(
      "OrderCreated",
      {
        customerId: identifier,
        cartId: identifier,
        orderId: identifier,
        items: { type: "array", minItems: 1, maxItems: 1000, items: lineItemSchema },
        totalAmount: money,
        currency,
      },
      ["customerId", "items", "totalAmount"],
    ),
    OrderValidated: noData("OrderValidated"),
    OrderConfirmed: noData("OrderConfirmed"),
    OrderShipped: eventData("OrderShipped", { trackingNumber: text(100), carrier: text(100) }, [
      "trackingNumber",
    ]),
    OrderDelivered: noData("OrderDelivered"),
    OrderCancelled: eventData("OrderCancelled", { reason: text(1000) }, ["reason"]),
    OrderPaid: eventData("OrderPaid", { paymentId: identifier, amount: money }),
  },
  invariants: {
    OrderCreated: (data) => {
      const { items, totalAmount } = data as OrderCreated;
      const sum = sumOfItems(items);
      if (Math.abs(sum - totalAmount) <= totalTolerance) return undefined;
      const reason = `must equal the sum of the items (${sum.toFixed(2)}), got ${totalAmount}`;
      return { field: "/totalAmount", reason, code: rejectionCodes.totalMismatch };
    },
  },
  initial: () => ({
    orderId: null,
    customerId: null,
    cartId: null,
    status: null,
    totalAmount: 0,
    currency: null,
    items: [],
    paymentId: null,
    paymentStatus: null,
    trackingNumber: null,
    carrier: null,
    cancelReason: null,
    createdAt: null,
    validatedAt: null,
    confirmedAt: null,
    shippedAt: null,
    deliveredAt: null,
    cancelledAt: null,
    paidAt: null,
  }),
  evolve(state, event) {
    const at = event.timestamp;
    switch (event.eventType) {
      case "OrderCreated": {
        const data = event.data as OrderCreated;
        const { customerId, items, totalAmount } = data;
        const optional = { cartId: data.cartId ?? null, currency: data.currency ?? null };
        return {
          ...state,
          orderId: event.aggregateId,
          status: "Created",
          customerId,
          items,
          totalAmount,
          ...optional,
          createdAt: at,
        };
      }
      case "OrderValidated":
        return { ...state, status: "Validated", validatedAt: at };
      case "OrderConfirmed":
        return { ...state, status: "Confirmed", confirmedAt: at };
      case "OrderShipped": {
        const { trackingNumber, carrier } = event.data as OrderShipped;
        return { ...state, status: "Shipped", trackingNumber, carrier: carrier ?? null, shippedAt: at };
      }
      case "OrderDelivered":
        return { ...state, status: "Delivered", deliveredAt: at };
      case "OrderCancelled":
        return {
          ...state,
          status: "Cancelled",
          cancelReason: (event.data as OrderCancelled).reason,
          cancelledAt: at,
        };
      case "OrderPaid": {
        const paymentId = (event.data as OrderPaid).paymentId ?? state.paymentId;
        return { ...state, paymentId, paidAt: at };
      }
      default:
        return state;
    }
  },
  decide(state, event: EventEnvelope) {
    switch (event.eventType) {
      case "OrderCreated": {
        const decision = requireNew(event, state.status);
        if (!decision.accepted) return decision;
        const orderId = (event.data as OrderCreated).orderId;
        if (orderId !== undefined && orderId !== event.aggregateId) {
          return rejected(
            rejectionCodes.invalidData,
            `data/orderId ${orderId} differs from aggregateId ${event.aggregateId}`,
          );
        }
        return checkInvariant(orders, event);
      }
      case "OrderValidated":
        return requireStatus(event, state.status, ["Created"]);
      case "OrderConfirmed":
        return requireStatus(event, state.status, ["Validated"]);
      case "OrderShipped":
        return requireStatus(event, state.status, ["Confirmed"]);
      case "OrderDelivered":
        return requireStatus(event, state.status, ["Shipped"]);
      case "OrderCancelled":
        return requireStatus(event, state.status, ["Created", "Validated", "Confirmed"]);
      case "OrderPaid": {
        const decision = requireStatus(event, state.status, [
          "Validated",
          "Confirmed",
          "Shipped",
          "Delivered",
        ]);
        return decision.accepted && state.paidAt !== null
          ? rejectUnchanged(event, "is paid already")
          : decision;
      }
      default:
        return unknownEventType("orders", event.eventType);
    }
  },
  notificationRules: orderNotificationRules,
};
