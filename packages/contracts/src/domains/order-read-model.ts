// The seed's OrderReadModel: the order's own state plus the status of its payment, which lives in
// another stream. The projection routes a Payment event here by the payment's orderId.
import type { EventEnvelope } from "../envelope.ts";
import { orders, type OrderState } from "./orders.ts";
import type { PaymentStatus } from "./payments.ts";

export type OrderReadModel = OrderState;

const paymentStatuses: Record<string, PaymentStatus> = {
  PaymentInitiated: "Initiated",
  PaymentProcessing: "Processing",
  PaymentAuthorized: "Authorized",
  PaymentCompleted: "Completed",
  PaymentFailed: "Failed",
  PaymentRefunded: "Refunded",
};

/**
 * Folds an Order event or a Payment event of the order into the read model. A retried payment
 * (a new PaymentInitiated) takes over; events of an earlier payment no longer change the status.
 */
export function evolveOrderReadModel(state: OrderState, event: EventEnvelope): OrderState {
  if (event.aggregateType !== "Payment") return orders.evolve(state, event);
  const paymentStatus = paymentStatuses[event.eventType];
  if (paymentStatus === undefined) return state;
  if (event.eventType !== "PaymentInitiated" && state.paymentId !== event.aggregateId) return state;
  return { ...state, paymentId: event.aggregateId, paymentStatus };
}
