// The business flows of the seed systems, each one iteration = one aggregate's whole lifecycle,
// sent in order by one VU (each command is accepted before the next is sent), then checked
// in the read model. Aggregate ids carry the run's prefix so the ledger finds every event.
import { check } from "k6";
import { PREFIX, PROJECTION, awaitReadModel, flowFailures, write, type RunData } from "./common.ts";

const uid = (kind: string) => `${PREFIX}${kind}-${__VU}-${__ITER}-${Math.random().toString(36).slice(2, 8)}`;

/** Sends the steps in order; stops at the first one that is not accepted. */
function run(
  steps: [method: "POST" | "PUT" | "DELETE", path: string, body: unknown, name: string][],
  data?: RunData,
) {
  for (const [method, path, body, name] of steps) {
    const res = write(method, path, body, name, data);
    if (!check(res, { [`${name} accepted`]: (r) => r.status === 202 })) {
      flowFailures.add(1);
      return false;
    }
  }
  return true;
}

/** Cart -> order -> stock -> payment -> shipped -> delivered (the e-commerce seed). */
export function orderLifecycle(data?: RunData): void {
  const customerId = uid("cust");
  const cartId = uid("cart");
  const orderId = uid("order");
  const paymentId = uid("pay");
  const productId = uid("prod");
  const items = [
    { productId, quantity: 2, unitPrice: 19.99, name: "Widget" },
    { productId: `${productId}-b`, quantity: 1, unitPrice: 5.5, name: "Gadget" },
  ];
  const total = Math.round((2 * 19.99 + 5.5) * 100) / 100;
  const ok = run(
    [
      ["POST", "/api/carts", { cartId, customerId }, "POST /api/carts"],
      ["POST", `/api/carts/${cartId}/items`, items[0], "POST /api/carts/{id}/items"],
      ["POST", `/api/carts/${cartId}/items`, items[1], "POST /api/carts/{id}/items"],
      ["POST", `/api/carts/${cartId}/checkout`, {}, "POST /api/carts/{id}/checkout"],
      [
        "POST",
        "/api/orders",
        { orderId, customerId, cartId, items, totalAmount: total, currency: "EUR" },
        "POST /api/orders",
      ],
      ["PUT", `/api/inventory/${productId}`, { quantity: 100 }, "PUT /api/inventory/{id}"],
      [
        "POST",
        `/api/inventory/${productId}/reserve`,
        { orderId, quantity: 2 },
        "POST /api/inventory/{id}/reserve",
      ],
      ["POST", `/api/orders/${orderId}/validate`, {}, "POST /api/orders/{id}/validate"],
      [
        "POST",
        "/api/payments",
        { paymentId, orderId, amount: total, currency: "EUR", method: "card" },
        "POST /api/payments",
      ],
      [
        "POST",
        `/api/payments/${paymentId}/authorize`,
        { authorizationCode: "A-1" },
        "POST /api/payments/{id}/authorize",
      ],
      ["POST", `/api/payments/${paymentId}/complete`, {}, "POST /api/payments/{id}/complete"],
      ["POST", `/api/orders/${orderId}/confirm`, {}, "POST /api/orders/{id}/confirm"],
      [
        "POST",
        `/api/orders/${orderId}/ship`,
        { trackingNumber: `TRK-${__ITER}`, carrier: "DHL" },
        "POST /api/orders/{id}/ship",
      ],
      ["POST", `/api/orders/${orderId}/deliver`, {}, "POST /api/orders/{id}/deliver"],
    ],
    data,
  );
  if (!ok) return;
  awaitReadModel(
    `${PROJECTION}/api/orders/${orderId}`,
    "GET /api/orders/{id}",
    (doc) => doc.status === "Delivered",
    Date.now(),
  );
}

/** Create -> update -> complete (the .NET task seed). */
export function taskLifecycle(data?: RunData): void {
  const taskId = uid("task");
  const ok = run(
    [
      [
        "POST",
        "/api/tasks",
        { taskId, title: "Write the report", description: "k6 flow", assignee: "ada" },
        "POST /api/tasks",
      ],
      [
        "PUT",
        `/api/tasks/${taskId}`,
        { title: "Write the load report", dueDate: "2030-01-01" },
        "PUT /api/tasks/{id}",
      ],
      ["POST", `/api/tasks/${taskId}/complete`, { completedBy: "ada" }, "POST /api/tasks/{id}/complete"],
    ],
    data,
  );
  if (!ok) return;
  awaitReadModel(
    `${PROJECTION}/api/tasks/${taskId}`,
    "GET /api/tasks/{id}",
    (doc) => doc.status === "Completed",
    Date.now(),
  );
}

/** Create -> change e-mail -> delete (the customer aggregate example). */
export function customerLifecycle(data?: RunData): void {
  const customerId = uid("customer");
  const ok = run(
    [
      [
        "POST",
        "/customer",
        { customerId, name: "Grace", email: `grace+${__VU}.${__ITER}@example.com` },
        "POST /customer",
      ],
      [
        "POST",
        `/customer/${customerId}/email`,
        { email: `g+${__VU}.${__ITER}@example.org` },
        "POST /customer/{id}/email",
      ],
      ["DELETE", `/customer/${customerId}`, { reason: "load test" }, "DELETE /customer/{id}"],
    ],
    data,
  );
  if (!ok) return;
  awaitReadModel(
    `${PROJECTION}/api/customers/${customerId}`,
    "GET /api/customers/{id}",
    (doc) => doc.status === "Deleted",
    Date.now(),
  );
}

const journey = ["login", "page_view", "search", "page_view", "add_to_cart", "page_view", "logout"];

/** A user's session (the Kafka activity seed): a few typed events for one user, in order. */
export function activityMix(data?: RunData): void {
  const userId = uid("user");
  for (const eventType of journey) {
    write(
      "POST",
      "/api/events",
      { userId, eventType, metadata: { page: `/p/${eventType}`, session: __ITER } },
      "POST /api/events",
      data,
    );
  }
  awaitReadModel(
    `${PROJECTION}/api/events/user/${encodeURIComponent(userId)}`,
    "GET /api/events/user/{userId}",
    (doc) => Number(doc.count) >= journey.length,
    Date.now(),
  );
}
