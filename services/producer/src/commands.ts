import { randomUUID } from "node:crypto";
import { splitFullName } from "@eventscope/contracts";

/**
 * The routes users of the seed systems know, each mapped to the one event it records.
 * The body (minus the id fields) becomes the event's data and is validated against the
 * event's schema by the shared contracts, so a route here is only a name for an event.
 */
export interface CommandRoute {
  method: "POST" | "PUT" | "DELETE";
  path: string;
  eventType: string;
  aggregateType: string;
  /** Where the aggregate id comes from: a path parameter, or a body field (generated when absent). */
  id: { param: string } | { field: string };
  /** Extra data derived from the request (e.g. a generated order id), ids made by `newId`. */
  extra?: (newId?: (name: string) => string) => Record<string, unknown>;
  /** Data fields also returned in the 202 body (e.g. the order id a checkout makes). */
  answers?: string[];
  /** Turns the body's fields into the event's (e.g. a full name into given and family names). */
  mapData?: (data: Record<string, unknown>) => Record<string, unknown>;
}

const byParam = (param: string) => ({ param });
const byField = (field: string) => ({ field });

/**
 * The customer routes keep taking the seed's `name` (besides `givenName` and `familyName`): a name
 * alone is split at its first space into the v2 fields. With either new field it stays, and the
 * schema names it as not allowed.
 */
const customerNames = (data: Record<string, unknown>): Record<string, unknown> => {
  const { name, ...rest } = data;
  if (typeof name !== "string" || "givenName" in data || "familyName" in data) return data;
  return { ...splitFullName(name), ...rest };
};

export const commandRoutes: CommandRoute[] = [
  // Customers (the customer aggregate example).
  {
    method: "POST",
    path: "/customer",
    eventType: "CustomerCreated",
    aggregateType: "Customer",
    id: byField("customerId"),
    mapData: customerNames,
  },
  {
    method: "POST",
    path: "/customer/:id/email",
    eventType: "CustomerEmailChanged",
    aggregateType: "Customer",
    id: byParam("id"),
  },
  // The customer lifecycle (the roadmap seed): registration waits for the customer's confirmation.
  {
    method: "POST",
    path: "/api/customers",
    eventType: "CustomerRegistered",
    aggregateType: "Customer",
    id: byField("customerId"),
    mapData: customerNames,
  },
  {
    method: "POST",
    path: "/customer/:id/activate",
    eventType: "CustomerActivated",
    aggregateType: "Customer",
    id: byParam("id"),
  },
  {
    method: "PUT",
    path: "/customer/:id",
    eventType: "CustomerUpdated",
    aggregateType: "Customer",
    id: byParam("id"),
    mapData: (data) => {
      const mapped = customerNames(data);
      // A full name replaces both parts: without a family name, the old one is cleared.
      return mapped !== data && !("familyName" in mapped) ? { ...mapped, familyName: null } : mapped;
    },
  },
  {
    method: "POST",
    path: "/customer/:id/deactivate",
    eventType: "CustomerDeactivated",
    aggregateType: "Customer",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/customer/:id/login",
    eventType: "CustomerLoggedIn",
    aggregateType: "Customer",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/customer/:id/logout",
    eventType: "CustomerLoggedOut",
    aggregateType: "Customer",
    id: byParam("id"),
  },
  {
    method: "PUT",
    path: "/customer/:id/preferences",
    eventType: "CustomerPreferencesUpdated",
    aggregateType: "Customer",
    id: byParam("id"),
  },
  {
    method: "DELETE",
    path: "/customer/:id",
    eventType: "CustomerDeleted",
    aggregateType: "Customer",
    id: byParam("id"),
  },
  // Tasks (create, update, complete).
  {
    method: "POST",
    path: "/api/tasks",
    eventType: "TaskCreated",
    aggregateType: "Task",
    id: byField("taskId"),
  },
  {
    method: "PUT",
    path: "/api/tasks/:id",
    eventType: "TaskUpdated",
    aggregateType: "Task",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/tasks/:id/complete",
    eventType: "TaskCompleted",
    aggregateType: "Task",
    id: byParam("id"),
  },
  // Carts.
  {
    method: "POST",
    path: "/api/carts",
    eventType: "CartCreated",
    aggregateType: "Cart",
    id: byField("cartId"),
  },
  {
    method: "POST",
    path: "/api/carts/:id/items",
    eventType: "ItemAddedToCart",
    aggregateType: "Cart",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/carts/:id/checkout",
    eventType: "CartCheckedOut",
    aggregateType: "Cart",
    id: byParam("id"),
    extra: (newId = () => randomUUID()) => ({ orderId: newId("orderId") }),
    answers: ["orderId"],
  },
  {
    method: "POST",
    path: "/api/carts/:id/expire",
    eventType: "CartExpired",
    aggregateType: "Cart",
    id: byParam("id"),
  },
  // Orders.
  {
    method: "POST",
    path: "/api/orders",
    eventType: "OrderCreated",
    aggregateType: "Order",
    id: byField("orderId"),
  },
  {
    method: "POST",
    path: "/api/orders/:id/validate",
    eventType: "OrderValidated",
    aggregateType: "Order",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/orders/:id/confirm",
    eventType: "OrderConfirmed",
    aggregateType: "Order",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/orders/:id/ship",
    eventType: "OrderShipped",
    aggregateType: "Order",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/orders/:id/deliver",
    eventType: "OrderDelivered",
    aggregateType: "Order",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/orders/:id/cancel",
    eventType: "OrderCancelled",
    aggregateType: "Order",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/orders/:id/pay",
    eventType: "OrderPaid",
    aggregateType: "Order",
    id: byParam("id"),
  },
  // Payments.
  {
    method: "POST",
    path: "/api/payments",
    eventType: "PaymentInitiated",
    aggregateType: "Payment",
    id: byField("paymentId"),
  },
  {
    method: "POST",
    path: "/api/payments/:id/authorize",
    eventType: "PaymentAuthorized",
    aggregateType: "Payment",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/payments/:id/complete",
    eventType: "PaymentCompleted",
    aggregateType: "Payment",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/payments/:id/fail",
    eventType: "PaymentFailed",
    aggregateType: "Payment",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/payments/:id/process",
    eventType: "PaymentProcessing",
    aggregateType: "Payment",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/payments/:id/capture",
    eventType: "PaymentCaptured",
    aggregateType: "Payment",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/payments/:id/refund",
    eventType: "PaymentRefunded",
    aggregateType: "Payment",
    id: byParam("id"),
  },
  // Inventory, one stream per product.
  {
    method: "PUT",
    path: "/api/inventory/:id",
    eventType: "StockUpdated",
    aggregateType: "Inventory",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/inventory/:id/reserve",
    eventType: "StockReserved",
    aggregateType: "Inventory",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/inventory/:id/release",
    eventType: "StockReleased",
    aggregateType: "Inventory",
    id: byParam("id"),
  },
  // Products.
  {
    method: "POST",
    path: "/api/products",
    eventType: "ProductCreated",
    aggregateType: "Product",
    id: byField("productId"),
  },
  {
    method: "PUT",
    path: "/api/products/:id",
    eventType: "ProductUpdated",
    aggregateType: "Product",
    id: byParam("id"),
  },
  {
    method: "DELETE",
    path: "/api/products/:id",
    eventType: "ProductDeleted",
    aggregateType: "Product",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/products/:id/activate",
    eventType: "ProductActivated",
    aggregateType: "Product",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/products/:id/deactivate",
    eventType: "ProductDeactivated",
    aggregateType: "Product",
    id: byParam("id"),
  },
  {
    method: "POST",
    path: "/api/products/:id/replenish",
    eventType: "StockReplenished",
    aggregateType: "Product",
    id: byParam("id"),
  },
];

/**
 * The partial envelope a command request stands for (validated and stamped by the ingest path).
 * Ids the request does not carry come from `newId` (derived from the Idempotency-Key when there
 * is one, so that a retry stands for the very same event).
 */
export function commandEnvelope(
  route: CommandRoute,
  params: Record<string, string>,
  body: unknown,
  newId: (name: string) => string = () => randomUUID(),
): { aggregateId: string; partial: Record<string, unknown> } {
  let data: Record<string, unknown> =
    body !== null && typeof body === "object" && !Array.isArray(body)
      ? { ...(body as Record<string, unknown>) }
      : {};
  let aggregateId: string;
  if (route.mapData) data = route.mapData(data);
  if ("param" in route.id) {
    aggregateId = params[route.id.param] ?? "";
  } else {
    const given = data[route.id.field];
    aggregateId = typeof given === "string" && given.length > 0 ? given : newId(route.id.field);
    delete data[route.id.field];
  }
  Object.assign(data, route.extra?.(newId));
  return {
    aggregateId,
    partial: { eventType: route.eventType, aggregateType: route.aggregateType, aggregateId, data },
  };
}
