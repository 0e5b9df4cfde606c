// What the end-to-end tests of the telemetry share: where the running stack is (default ports of
// `make up`, each overridable), traffic through the producer, and Prometheus / Jaeger / log look-ups.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, request, requestWithKey, waitFor } from "@eventscope/testkit";

const env = process.env;
export const urls = {
  producer: env.PRODUCER_URL ?? "http://127.0.0.1:8081",
  eventStore: env.EVENT_STORE_URL ?? "http://127.0.0.1:8082",
  projection: env.PROJECTION_URL ?? "http://127.0.0.1:8083",
  notification: env.NOTIFICATION_URL ?? "http://127.0.0.1:8084",
  prometheus: env.PROMETHEUS_URL ?? "http://127.0.0.1:9090",
  jaeger: env.JAEGER_URL ?? "http://127.0.0.1:16686",
};
export const logDir =
  env.EVENTSCOPE_LOG_DIR ?? join(env.EVENTSCOPE_HOME ?? join(repoRoot, ".eventscope"), "logs");
// The first configured key, without its scopes (the demo key holds every scope).
const apiKey = (env.API_KEYS ?? "eventscope-demo-key").split(",")[0]!.split(":")[0]!;
// The event store's events and replay need the read scope.
const keyed = requestWithKey(apiKey);

export const services = ["producer", "event-store", "projection", "notification"] as const;
export type Service = (typeof services)[number];
/** The consuming services and the topic each one's consumer group reads. */
export const consumers = [
  { service: "event-store", url: urls.eventStore, topic: "events.ingest" },
  { service: "projection", url: urls.projection, topic: "events.committed" },
  { service: "notification", url: urls.notification, topic: "events.committed" },
] as const;

export interface Accepted {
  eventId: string;
  eventType: string;
  traceId: string;
  /** Expected outcome: committed (stored), or rejected by the event store (deliberately invalid). */
  outcome: "committed" | "rejected";
}

const traceIdOf = (traceparent: string | null): string => {
  const id = /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[0-9a-f]$/.exec(traceparent ?? "")?.[1];
  if (!id) throw new Error(`no W3C traceparent in the 202: ${traceparent}`);
  return id;
};

/**
 * An order lifecycle through the producer (customer, cart, order, payment, ship, deliver: the
 * e-mail rules fire for OrderCreated, OrderConfirmed, OrderShipped, OrderDelivered...), a task and
 * user activity, one event the event store rejects (an invalid transition), and a replay of the
 * order's stream. Returns every accepted event with the trace id of its 202.
 */
export async function orderLifecycle(): Promise<{ accepted: Accepted[]; orderId: string; token: string }> {
  const token = randomUUID().slice(0, 8);
  const accepted: Accepted[] = [];
  const send = async (
    path: string,
    body: unknown = {},
    options: { method?: string; outcome?: Accepted["outcome"] } = {},
  ) => {
    const res = await request(`${urls.producer}${path}`, {
      method: options.method ?? "POST",
      body,
      headers: { "x-api-key": apiKey },
    });
    if (res.status !== 202) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    accepted.push({
      eventId: res.body.eventId,
      eventType: res.body.eventType,
      traceId: traceIdOf(res.headers.get("traceparent")),
      outcome: options.outcome ?? "committed",
    });
    return res.body;
  };
  const customerId = `cust-${token}`;
  await send("/customer", { customerId, name: `Telemetry ${token}`, email: `t-${token}@example.com` });
  const cartId = (await send("/api/carts", { customerId })).cartId as string;
  await send(`/api/carts/${cartId}/items`, { productId: "sku-telemetry", quantity: 2, unitPrice: 7 });
  await send(`/api/carts/${cartId}/checkout`);
  const orderId = `order-${token}`;
  const items = [{ productId: "sku-telemetry", quantity: 2, unitPrice: 7 }];
  await send("/api/orders", { orderId, customerId, cartId, items, totalAmount: 14 });
  await send(`/api/orders/${orderId}/validate`);
  await send(`/api/orders/${orderId}/confirm`);
  const paymentId = (await send("/api/payments", { orderId, amount: 14, method: "card" }))
    .paymentId as string;
  await send(`/api/payments/${paymentId}/authorize`);
  await send(`/api/payments/${paymentId}/complete`);
  await send(`/api/orders/${orderId}/ship`, { trackingNumber: `TRK-${token}` });
  await send(`/api/orders/${orderId}/deliver`);
  // Delivering an order that was never created: accepted (valid input), rejected by the store.
  await send(`/api/orders/never-${token}/deliver`, {}, { outcome: "rejected" });
  const taskId = (await send("/api/tasks", { title: `telemetry ${token}` })).taskId as string;
  await send(`/api/tasks/${taskId}/complete`);
  for (const eventType of ["login", "logout"])
    await send("/api/events", { userId: `user-${token}`, eventType, metadata: { token } });

  // Wait until the store decided every event and the read model shows the delivered order.
  await waitFor(
    async () => {
      for (const a of accepted) {
        const res = await keyed(`${urls.eventStore}/api/eventstore/events/${a.eventId}`);
        if (res.body?.status !== a.outcome) return undefined;
      }
      return true;
    },
    30_000,
    "the event store to decide every event",
  );
  await waitFor(
    async () => (await keyed(`${urls.projection}/api/orders/${orderId}`)).body?.status === "Delivered",
    30_000,
    "the order read model",
  );
  const replay = await keyed(`${urls.eventStore}/api/eventstore/replay/Order/${orderId}`);
  if (replay.status !== 200) throw new Error(`replay: ${replay.status} ${JSON.stringify(replay.body)}`);
  return { accepted, orderId, token };
}

// --- Prometheus -------------------------------------------------------------------------------

export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export async function promQuery(expr: string): Promise<PromSeries[]> {
  const res = await fetch(`${urls.prometheus}/api/v1/query`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query: expr }),
  });
  const body = (await res.json()) as { status: string; error?: string; data: { result: PromSeries[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

/** Range query over the `minutes` before `endMs` (now), at the dashboards' 15 s resolution. */
export async function promRange(expr: string, minutes = 10, endMs = Date.now()): Promise<PromSeries[]> {
  const end = endMs / 1000;
  const res = await fetch(`${urls.prometheus}/api/v1/query_range`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      query: expr,
      start: String(end - minutes * 60),
      end: String(end),
      step: "15",
    }),
  });
  const body = (await res.json()) as { status: string; error?: string; data: { result: PromSeries[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

/** Resolves once Prometheus has scraped every platform target after `since` (epoch ms), twice. */
export async function scrapedSince(since: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const res = (await (await fetch(`${urls.prometheus}/api/v1/targets?state=active`)).json()) as {
        data: { activeTargets: { labels: { job: string }; lastScrape: string; health: string }[] };
      };
      const mine = res.data.activeTargets.filter((t) =>
        (services as readonly string[]).includes(t.labels.job),
      );
      return mine.length === services.length &&
        mine.every((t) => t.health === "up" && Date.parse(t.lastScrape) > since + 5000)
        ? true
        : undefined;
    },
    timeoutMs,
    "Prometheus to scrape every service after the traffic",
  );
}

// --- Jaeger -----------------------------------------------------------------------------------

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export async function jaegerTrace(traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${urls.jaeger}/api/traces/${traceId}`);
  if (res.status === 404) return undefined;
  const body = (await res.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

export const servicesOf = (t: JaegerTrace): Set<string> =>
  new Set(t.spans.map((s) => t.processes[s.processID]?.serviceName ?? "?"));

// --- logs -------------------------------------------------------------------------------------

/** The JSON lines of a service's log (EVENTSCOPE_HOME/logs/<service>.log) that mention `needle`. */
export function logLines(service: Service, needle: string): Record<string, unknown>[] {
  const file = join(logDir, `${service}.log`);
  if (!existsSync(file)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.includes(needle)) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a JSON line (a runtime warning): not ours to check
    }
  }
  return out;
}
