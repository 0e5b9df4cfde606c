// The customer an event concerns, or where to look them up: a customer's own event, one naming
// its customerId, an order's, a payment's (its order's). Read by the recipients at send time and
// by the erasure, which redacts every delivery of an erased customer.
import type { EventEnvelope } from "@eventscope/contracts";

/** Where to start looking for the customer an event concerns. */
export type CustomerRef = { customer: string } | { order: string } | { payment: string };

const str = (value: unknown): string | undefined =>
  typeof value === "string" && value.length > 0 ? value : undefined;

export function customerRefOf(event: EventEnvelope): CustomerRef | undefined {
  if (event.aggregateType === "Customer") return { customer: event.aggregateId };
  const customerId = str(event.data["customerId"]);
  if (customerId) return { customer: customerId };
  if (event.aggregateType === "Order") return { order: event.aggregateId };
  if (event.aggregateType === "Payment") {
    const orderId = str(event.data["orderId"]);
    return orderId ? { order: orderId } : { payment: event.aggregateId };
  }
  return undefined;
}

/** The customer a delivery concerns when its event names them (a customer's own event, a customerId). */
export function customerOf(event: EventEnvelope): string | undefined {
  const ref = customerRefOf(event);
  return ref && "customer" in ref ? ref.customer : undefined;
}
