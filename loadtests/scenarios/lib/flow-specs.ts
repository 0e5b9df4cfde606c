/**
 * The business flows of the seed systems as data: each flow is one aggregate's lifecycle, its
 * steps sent in order (each accepted before the next is sent), ids captured from the answers
 * (the producer echoes the aggregate's id under its field), then the final state looked for in
 * the read model. Paths and bodies are templates: "{name}" is a variable of the flow (an id made
 * with the run's prefix, or a value captured from an earlier answer). Both engines run these.
 */
export type FlowName = "order" | "task" | "customer" | "session" | "checkout" | "checkout-declined";

/** The seed systems' lifecycles (the smoke and flows scenarios run these). */
export const businessFlows: FlowName[] = ["order", "task", "customer", "session"];
/**
 * Orders through checkout only (the checkout scenario): the client sets the stock, fills a cart,
 * checks it out and settles the payment the process manager asked for; the process manager does
 * everything between (OrderCreated, StockReserved per line, OrderValidated, PaymentInitiated).
 */
export const checkoutFlows: FlowName[] = ["checkout", "checkout-declined"];

export interface FlowStep {
  method: "POST" | "PUT" | "DELETE";
  path: string;
  body: unknown;
  /** The request's name in metrics (ids left out). */
  name: string;
  /** Variables taken from the 202's JSON answer: variable -> field. */
  capture?: Record<string, string>;
}

export interface ReadModelCheck {
  path: string;
  name: string;
  /** The document's field that shows the flow's end, and the value (or the least count, or any value). */
  field: string;
  equals?: string | number;
  atLeast?: number;
  present?: true;
}

/**
 * A wait inside a flow: polls a read-model document (bounded) until `until` holds, then takes
 * variables from it (e.g. the payment id the process manager made for an order).
 */
export interface AwaitStep {
  await: ReadModelCheck;
  capture: Record<string, string>;
}

export interface FlowSpec {
  name: FlowName;
  /** Variables made for each flow: `${prefix}${kind}-${unique}`. */
  ids: Record<string, string>;
  steps: (FlowStep | AwaitStep)[];
  /** The final state; flow_visible is measured from the last write until it shows. */
  check: ReadModelCheck;
  /** Further documents that must show the end too (looked for once `check` holds). */
  alsoCheck?: ReadModelCheck[];
}

export const isAwait = (step: FlowStep | AwaitStep): step is AwaitStep => "await" in step;

const items = [
  { productId: "{productId}", quantity: 2, unitPrice: 19.99, name: "Widget" },
  { productId: "{productId}-b", quantity: 1, unitPrice: 5.5, name: "Gadget" },
];
const total = Math.round((2 * 19.99 + 5.5) * 100) / 100;
/** Units set per product before a checkout: after a declined payment the stock is back to this. */
export const checkoutStock = 10;
const journey = ["login", "page_view", "search", "page_view", "add_to_cart", "page_view", "logout"];

function checkoutSpec(name: "checkout" | "checkout-declined", settle: FlowStep[]): FlowSpec {
  const declined = name === "checkout-declined";
  const stockOf = (product: string): ReadModelCheck => ({
    path: `/api/inventory/${product}`,
    name: "GET /api/inventory/{id}",
    field: "available",
    equals: checkoutStock,
  });
  return {
    name,
    ids: { customerId: "cust", cartId: "cart", productId: "prod" },
    steps: [
      ...["{productId}", "{productId}-b"].map((product): FlowStep => ({
        method: "PUT",
        path: `/api/inventory/${product}`,
        body: { quantity: checkoutStock },
        name: "PUT /api/inventory/{id}",
      })),
      {
        method: "POST",
        path: "/api/carts",
        body: { cartId: "{cartId}", customerId: "{customerId}" },
        name: "POST /api/carts",
        capture: { cart: "cartId" },
      },
      { method: "POST", path: "/api/carts/{cart}/items", body: items[0], name: "POST /api/carts/{id}/items" },
      { method: "POST", path: "/api/carts/{cart}/items", body: items[1], name: "POST /api/carts/{id}/items" },
      {
        method: "POST",
        path: "/api/carts/{cart}/checkout",
        body: {},
        name: "POST /api/carts/{id}/checkout",
        capture: { order: "orderId" },
      },
      // The process manager reserves both lines, validates the order and initiates its payment.
      {
        await: {
          path: "/api/orders/{order}",
          name: "GET /api/orders/{id}",
          field: "paymentId",
          present: true,
        },
        capture: { payment: "paymentId" },
      },
      ...settle,
    ],
    check: {
      path: "/api/orders/{order}",
      name: "GET /api/orders/{id}",
      field: "status",
      equals: declined ? "Cancelled" : "Confirmed",
    },
    ...(declined ? { alsoCheck: [stockOf("{productId}"), stockOf("{productId}-b")] } : {}),
  };
}

export const flowSpecs: Record<FlowName, FlowSpec> = {
  /** Cart -> order -> stock -> payment -> shipped -> delivered (the e-commerce seed). */
  order: {
    name: "order",
    ids: { customerId: "cust", cartId: "cart", orderId: "order", paymentId: "pay", productId: "prod" },
    steps: [
      {
        method: "POST",
        path: "/api/carts",
        body: { cartId: "{cartId}", customerId: "{customerId}" },
        name: "POST /api/carts",
        capture: { cart: "cartId" },
      },
      { method: "POST", path: "/api/carts/{cart}/items", body: items[0], name: "POST /api/carts/{id}/items" },
      { method: "POST", path: "/api/carts/{cart}/items", body: items[1], name: "POST /api/carts/{id}/items" },
      { method: "POST", path: "/api/carts/{cart}/checkout", body: {}, name: "POST /api/carts/{id}/checkout" },
      {
        method: "POST",
        path: "/api/orders",
        body: {
          orderId: "{orderId}",
          customerId: "{customerId}",
          cartId: "{cart}",
          items,
          totalAmount: total,
          currency: "EUR",
        },
        name: "POST /api/orders",
        capture: { order: "orderId" },
      },
      {
        method: "PUT",
        path: "/api/inventory/{productId}",
        body: { quantity: 100 },
        name: "PUT /api/inventory/{id}",
      },
      {
        method: "POST",
        path: "/api/inventory/{productId}/reserve",
        body: { orderId: "{order}", quantity: 2 },
        name: "POST /api/inventory/{id}/reserve",
      },
      {
        method: "POST",
        path: "/api/orders/{order}/validate",
        body: {},
        name: "POST /api/orders/{id}/validate",
      },
      {
        method: "POST",
        path: "/api/payments",
        body: {
          paymentId: "{paymentId}",
          orderId: "{order}",
          amount: total,
          currency: "EUR",
          method: "card",
        },
        name: "POST /api/payments",
        capture: { payment: "paymentId" },
      },
      {
        method: "POST",
        path: "/api/payments/{payment}/authorize",
        body: { authorizationCode: "A-1" },
        name: "POST /api/payments/{id}/authorize",
      },
      {
        method: "POST",
        path: "/api/payments/{payment}/complete",
        body: {},
        name: "POST /api/payments/{id}/complete",
      },
      {
        method: "POST",
        path: "/api/orders/{order}/confirm",
        body: {},
        name: "POST /api/orders/{id}/confirm",
      },
      {
        method: "POST",
        path: "/api/orders/{order}/ship",
        body: { trackingNumber: "TRK-{n}", carrier: "DHL" },
        name: "POST /api/orders/{id}/ship",
      },
      {
        method: "POST",
        path: "/api/orders/{order}/deliver",
        body: {},
        name: "POST /api/orders/{id}/deliver",
      },
    ],
    check: {
      path: "/api/orders/{order}",
      name: "GET /api/orders/{id}",
      field: "status",
      equals: "Delivered",
    },
  },
  /** Create -> update -> complete (the .NET task seed). */
  task: {
    name: "task",
    ids: { taskId: "task" },
    steps: [
      {
        method: "POST",
        path: "/api/tasks",
        body: { taskId: "{taskId}", title: "Write the report", description: "load flow", assignee: "ada" },
        name: "POST /api/tasks",
        capture: { task: "taskId" },
      },
      {
        method: "PUT",
        path: "/api/tasks/{task}",
        body: { title: "Write the load report", dueDate: "2030-01-01" },
        name: "PUT /api/tasks/{id}",
      },
      {
        method: "POST",
        path: "/api/tasks/{task}/complete",
        body: { completedBy: "ada" },
        name: "POST /api/tasks/{id}/complete",
      },
    ],
    check: { path: "/api/tasks/{task}", name: "GET /api/tasks/{id}", field: "status", equals: "Completed" },
  },
  /** Create -> change e-mail -> delete (the customer aggregate example). */
  customer: {
    name: "customer",
    ids: { customerId: "customer" },
    steps: [
      {
        method: "POST",
        path: "/customer",
        body: { customerId: "{customerId}", name: "Grace", email: "grace+{n}@example.com" },
        name: "POST /customer",
        capture: { customer: "customerId" },
      },
      {
        method: "POST",
        path: "/customer/{customer}/email",
        body: { email: "g+{n}@example.org" },
        name: "POST /customer/{id}/email",
      },
      {
        method: "DELETE",
        path: "/customer/{customer}",
        body: { reason: "load test" },
        name: "DELETE /customer/{id}",
      },
    ],
    check: {
      path: "/api/customers/{customer}",
      name: "GET /api/customers/{id}",
      field: "status",
      equals: "Deleted",
    },
  },
  /** A user's session (the Kafka activity seed): a few typed events for one user, in order. */
  session: {
    name: "session",
    ids: { userId: "user" },
    steps: journey.map((eventType) => ({
      method: "POST" as const,
      path: "/api/events",
      body: { userId: "{userId}", eventType, metadata: { page: `/p/${eventType}`, session: "{n}" } },
      name: "POST /api/events",
    })),
    check: {
      path: "/api/events/user/{userId}",
      name: "GET /api/events/user/{userId}",
      field: "count",
      atLeast: journey.length,
    },
  },
  /** Stock, cart, checkout; the payment the process manager asked for completes: Confirmed. */
  checkout: checkoutSpec("checkout", [
    {
      method: "POST",
      path: "/api/payments/{payment}/authorize",
      body: { authorizationCode: "A-{n}" },
      name: "POST /api/payments/{id}/authorize",
    },
    {
      method: "POST",
      path: "/api/payments/{payment}/complete",
      body: {},
      name: "POST /api/payments/{id}/complete",
    },
  ]),
  /** The same, but the payment fails: Cancelled, and both products' stock back to what was set. */
  "checkout-declined": checkoutSpec("checkout-declined", [
    {
      method: "POST",
      path: "/api/payments/{payment}/fail",
      body: { reason: "card declined" },
      name: "POST /api/payments/{id}/fail",
    },
  ]),
};

/** Replaces "{name}" in every string of a template (paths are URI-encoded, bodies are not). */
export function fill<T>(template: T, vars: Record<string, string>, encode = false): T {
  if (typeof template === "string") {
    return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const v = vars[name];
      if (v === undefined) return whole;
      return encode ? encodeURIComponent(v) : v;
    }) as T;
  }
  if (Array.isArray(template)) return template.map((x: unknown) => fill(x, vars, encode)) as T;
  if (template !== null && typeof template === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) out[k] = fill(v, vars, encode);
    return out as T;
  }
  return template;
}

/** A flow's own variables: its ids (with the run's prefix) and `n`, a number unique in the run. */
export function flowVars(spec: FlowSpec, prefix: string, unique: string, n: number): Record<string, string> {
  const vars: Record<string, string> = { n: String(n) };
  for (const [name, kind] of Object.entries(spec.ids)) vars[name] = `${prefix}${kind}-${unique}`;
  return vars;
}

/** Whether a read-model document shows the flow's final state. */
export function reached(check: ReadModelCheck, doc: Record<string, unknown>): boolean {
  const v = doc[check.field];
  if (check.atLeast !== undefined) return Number(v) >= check.atLeast;
  if (check.present) return v !== undefined && v !== null && v !== "";
  return v === check.equals;
}
