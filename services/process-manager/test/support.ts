// What the process-manager tests share: the pipeline (event store, producer, projection) and the
// process manager running as real processes on their own topics and schemas, with short timers.
import type { TopicNames } from "@eventscope/platform";
import {
  createTopics,
  deleteTopics,
  demoApiKey,
  dropSchema,
  requestWithKey,
  startService,
  testPool,
  uniqueName,
  waitFor,
  type RunningProcess,
} from "@eventscope/testkit";

export const request = requestWithKey(demoApiKey);

export interface Stack {
  name: string;
  topics: TopicNames;
  store: RunningProcess;
  producer: RunningProcess;
  projection: RunningProcess;
  manager: RunningProcess;
  stop(): Promise<void>;
}

export const timings = { PAYMENT_TIMEOUT_MS: 8000, CART_IDLE_MS: 8000, ACTIVATION_REMINDER_MS: 3000 };

export async function startStack(label: string): Promise<Stack> {
  const name = uniqueName(label);
  const topics = await createTopics(`${name}.`);
  const common = { TOPIC_PREFIX: `${name}.`, LOG_LEVEL: "warn", API_KEYS: demoApiKey };
  const store = await startService("event-store", {
    ...common,
    DATABASE_SCHEMA: `${name}_store`,
    CONSUMER_GROUP: `${name}-store`,
  });
  const producer = await startService("producer", {
    ...common,
    DATABASE_SCHEMA: `${name}_store`,
    EVENT_STORE_URL: store.url,
  });
  const projection = await startService("projection", {
    ...common,
    DATABASE_SCHEMA: `${name}_projection`,
    CONSUMER_GROUP: `${name}-projection`,
    EVENT_STORE_URL: store.url,
  });
  const manager = await startService("process-manager", {
    ...common,
    LOG_LEVEL: "info",
    DATABASE_SCHEMA: `${name}_pm`,
    CONSUMER_GROUP: `${name}-pm`,
    PRODUCER_URL: producer.url,
    API_KEY: demoApiKey,
    ...Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, String(v)])),
    TIMER_INTERVAL_MS: "200",
    LOW_STOCK_THRESHOLD: "3",
  });
  return {
    name,
    topics,
    store,
    producer,
    projection,
    manager,
    async stop() {
      await Promise.all([manager.kill(), projection.kill(), producer.kill(), store.kill()]);
      const pool = testPool();
      for (const suffix of ["store", "projection", "pm"]) await dropSchema(pool, `${name}_${suffix}`);
      await pool.end();
      await deleteTopics(topics);
    },
  };
}

export interface ProcessView {
  id: string;
  type: string;
  status: string;
  stage: string;
  outcome: string | null;
  correlationId: string;
  state: Record<string, any>;
  steps: { step: string; eventId: string; eventType: string; status: string; causedBy: string | null }[];
  events: { eventId: string; eventType: string }[];
  nextTimer: { name: string; dueAt: string } | null;
}

export async function processOf(stack: Stack, id: string): Promise<ProcessView | undefined> {
  const res = await request<ProcessView>(`${stack.manager.url}/api/processes/${encodeURIComponent(id)}`);
  return res.status === 200 ? res.body : undefined;
}

/** Waits until the process is in the stage given (and every step it took is stored or rejected). */
export async function waitForStage(
  stack: Stack,
  id: string,
  stage: string,
  timeoutMs = 45_000,
): Promise<ProcessView> {
  return waitFor(
    async () => {
      const p = await processOf(stack, id);
      if (!p || p.stage !== stage) return undefined;
      return p.steps.every((s) => s.status === "committed" || s.status === "rejected") ? p : undefined;
    },
    timeoutMs,
    `${id} to reach ${stage}`,
  );
}

export interface StoredEvent {
  eventId: string;
  eventType: string;
  version: number;
  data: Record<string, any>;
  metadata: Record<string, any>;
}

export async function streamOf(stack: Stack, aggregateType: string, id: string): Promise<StoredEvent[]> {
  const res = await request<{ events: StoredEvent[] }>(
    `${stack.store.url}/api/eventstore/streams/${aggregateType}/${encodeURIComponent(id)}`,
  );
  return res.body.events ?? [];
}

export const post = (stack: Stack, path: string, body: unknown = {}, headers: Record<string, string> = {}) =>
  request(`${stack.producer.url}${path}`, { method: "POST", body, headers });

export const put = (stack: Stack, path: string, body: unknown) =>
  request(`${stack.producer.url}${path}`, { method: "PUT", body });

/** Sets a product's stock and waits until the process manager has seen it. */
export async function stock(stack: Stack, productId: string, quantity: number): Promise<void> {
  const res = await put(stack, `/api/inventory/${productId}`, { quantity });
  if (res.status !== 202) throw new Error(`stock: ${res.status} ${JSON.stringify(res.body)}`);
  await waitFor(
    async () => (await processOf(stack, `stock:${productId}`))?.state.inventory?.level === quantity,
    30_000,
    `stock of ${productId}`,
  );
}

/** A cart with the lines given, checked out: the order id from the checkout's answer. */
export async function checkout(
  stack: Stack,
  customerId: string,
  lines: { productId: string; quantity: number; unitPrice: number }[],
): Promise<{ cartId: string; orderId: string; correlationId: string }> {
  const created = await post(stack, "/api/carts", { customerId });
  const cartId = created.body.cartId as string;
  for (const line of lines) {
    const added = await post(stack, `/api/carts/${cartId}/items`, line);
    if (added.status !== 202) throw new Error(`add item: ${JSON.stringify(added.body)}`);
  }
  const checkedOut = await post(stack, `/api/carts/${cartId}/checkout`);
  if (checkedOut.status !== 202) throw new Error(`checkout: ${JSON.stringify(checkedOut.body)}`);
  return {
    cartId,
    orderId: checkedOut.body.orderId as string,
    correlationId: created.body.eventId as string,
  };
}

/** Every event of the stream is there once (no event id twice) and each step's event is stored once. */
export function onceEach(events: StoredEvent[]): Map<string, number> {
  const count = new Map<string, number>();
  for (const e of events) count.set(e.eventId, (count.get(e.eventId) ?? 0) + 1);
  return count;
}
