/**
 * The gateway in front of the four pipeline services, all real processes on free ports with topics and
 * schemas of their own, on the real Kafka and PostgreSQL:
 *  - the seeds' curls through one base URL (customer, user activity, a task, an order), with the
 *    demo key on every request;
 *  - the gateway in the event's trace in Jaeger, the producer's span its child;
 *  - an upstream that is down: a quick 503 problem+json;
 *  - Swagger UI in headless Chromium (Debian's chromium through playwright-core): every tag
 *    shown, "Try it out" on POST /api/events answers 202, nothing loaded from elsewhere; the
 *    screenshot is kept beside this file (swagger.png; UPDATE_SCREENSHOTS=1 refreshes it).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import type { TopicNames } from "@eventscope/platform";
import {
  createTopics,
  deleteTopics,
  dropSchema,
  request,
  startService,
  testPool,
  uniqueName,
  waitFor,
  repoRoot,
  type RunningProcess,
} from "@eventscope/testkit";
import { readOpenApi } from "../src/openapi.ts";

const key = "eventscope-demo-key";
const jaeger = process.env.JAEGER_QUERY_URL ?? "http://127.0.0.1:16686";
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Each run's screenshot goes under .eventscope/; UPDATE_SCREENSHOTS=1 refreshes the kept one.
const screenshot = process.env.UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL("./swagger.png", import.meta.url))
  : join(repoRoot, ".eventscope", "gateway-test", "swagger.png");

const name = uniqueName("gateway");
const schemas = { store: `${name}_store`, projection: `${name}_projection`, notification: `${name}_notify` };
let topics: TopicNames;
const running: RunningProcess[] = [];
let gateway: RunningProcess;
const pool = testPool();

/** A call through the gateway, with the demo key. */
const api = (path: string, init: Parameters<typeof request>[1] = {}) =>
  request(`${gateway.url}${path}`, { ...init, headers: { "x-api-key": key, ...init.headers } });

// The process manager (sagas) has tests of its own: here a stand-in that is ready is enough.
const sagas = createServer((_req, res) =>
  res.writeHead(200, { "content-type": "application/json" }).end("{}"),
);
let processManager = "";

beforeAll(async () => {
  await new Promise<void>((r) => sagas.listen(0, "127.0.0.1", r));
  processManager = `http://127.0.0.1:${(sagas.address() as AddressInfo).port}`;
  topics = await createTopics(`${name}.`);
  const common = { TOPIC_PREFIX: `${name}.`, LOG_LEVEL: "warn", API_KEYS: key };
  const store = await startService("event-store", {
    ...common,
    DATABASE_SCHEMA: schemas.store,
    CONSUMER_GROUP: `${name}-store`,
  });
  running.push(store);
  const [producer, projection, notification] = await Promise.all([
    startService("producer", { ...common, DATABASE_SCHEMA: schemas.store, EVENT_STORE_URL: store.url }),
    startService("projection", {
      ...common,
      DATABASE_SCHEMA: schemas.projection,
      CONSUMER_GROUP: `${name}-projection`,
      EVENT_STORE_URL: store.url,
    }),
    startService("notification", {
      ...common,
      DATABASE_SCHEMA: schemas.notification,
      CONSUMER_GROUP: `${name}-notification`,
      EMAIL_TO_DEFAULT: `${name}@eventscope.test`,
    }),
  ]);
  running.push(producer, projection, notification);
  gateway = await startService("gateway", {
    LOG_LEVEL: "warn",
    PROCESS_MANAGER_URL: processManager,
    PRODUCER_URL: producer.url,
    EVENT_STORE_URL: store.url,
    PROJECTION_URL: projection.url,
    NOTIFICATION_URL: notification.url,
    UPSTREAM_TIMEOUT_MS: "5000",
  });
  running.push(gateway);
});

afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
  sagas.close();
  for (const schema of Object.values(schemas)) await dropSchema(pool, schema);
  await pool.end();
  if (topics) await deleteTopics(topics);
});

const stored = (eventId: string) =>
  waitFor(
    async () => {
      const res = await api(`/api/eventstore/events/${eventId}`);
      return res.body?.status === "committed" && res.body;
    },
    30_000,
    `event ${eventId} committed`,
  );

describe("the seeds' curls through the gateway", () => {
  it("POST /customer, then GET /customer/{id}, the e-mail change and DELETE", async () => {
    const customerId = `cust-${randomBytes(4).toString("hex")}`;
    const created = await api("/customer", {
      body: { customerId, name: "Ada Lovelace", email: "ada@example.com" },
    });
    expect(created.status).toBe(202);
    await stored(created.body.eventId as string);
    const read = await waitFor(async () => {
      const res = await api(`/customer/${customerId}`);
      return res.status === 200 && res;
    });
    expect(read.body).toMatchObject({ email: "ada@example.com" });
    const changed = await api(`/customer/${customerId}/email`, { body: { email: "ada@analytical.example" } });
    expect(changed.status).toBe(202);
    await waitFor(
      async () => (await api(`/customer/${customerId}`)).body?.email === "ada@analytical.example",
    );
    expect((await api(`/customer/${customerId}`, { method: "DELETE" })).status).toBe(202);
  });

  it("POST /api/events (the activity seed's body), then GET /api/events/user/{id} and /api/events", async () => {
    const userId = `user-${randomBytes(4).toString("hex")}`;
    const res = await api("/api/events", {
      body: { userId, eventType: "login", metadata: { ipAddress: "192.168.1.1" } },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ message: "Event published successfully" });
    const list = await waitFor(async () => {
      const r = await api(`/api/events/user/${userId}`);
      // The count and the page are two queries: wait for both to show the event.
      return r.body?.count === 1 && r.body.events?.length === 1 && r.body;
    });
    expect(list.events[0]).toMatchObject({ eventType: "login" });
    const all = await api("/api/events");
    expect(all.status).toBe(200);
    expect(all.body.count).toBeGreaterThanOrEqual(1);
    expect((await api("/api/events/type/login")).status).toBe(200);
  });

  it("a task: create, update with If-Match, complete, read", async () => {
    const created = await api("/api/tasks", { body: { title: "write the gateway" } });
    expect(created.status).toBe(202);
    const taskId = created.body.taskId as string;
    await stored(created.body.eventId as string);
    const updated = await api(`/api/tasks/${taskId}`, {
      method: "PUT",
      body: { title: "write the front door" },
      headers: { "if-match": "1", "idempotency-key": `update-${taskId}` },
    });
    expect(updated.status).toBe(202);
    expect((await api(`/api/tasks/${taskId}/complete`, { body: {} })).status).toBe(202);
    const task = await waitFor(async () => {
      const r = await api(`/api/tasks/${taskId}`);
      return r.body?.status === "Completed" && r.body;
    });
    expect(task).toMatchObject({ title: "write the front door" });
  });

  it("an order's routes, and its replay from the event store", async () => {
    const token = randomBytes(4).toString("hex");
    const customerId = `cust-${token}`;
    const orderId = `order-${token}`;
    const send = async (path: string, body: unknown = {}) => {
      const res = await api(path, { body });
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(202);
      return res.body;
    };
    await send("/customer", { customerId, name: "Grace", email: `g-${token}@example.com` });
    const items = [{ productId: "sku-1", quantity: 2, unitPrice: 7 }];
    await send("/api/orders", { orderId, customerId, items, totalAmount: 14 });
    await send(`/api/orders/${orderId}/validate`);
    const last = await send(`/api/orders/${orderId}/confirm`);
    await stored(last.eventId as string);
    const order = await waitFor(async () => {
      const r = await api(`/api/orders/${orderId}`);
      return r.body?.status === "Confirmed" && r.body;
    });
    expect(order).toMatchObject({ orderId, totalAmount: 14 });
    const replay = await api(`/api/eventstore/replay/Order/${orderId}`);
    expect(replay.status).toBe(200);
    expect((await api("/api/projections")).status).toBe(200);
    expect((await api("/api/deliveries")).status).toBe(200);
  });

  it("puts itself in the event's trace: the producer's span is the gateway's child", async () => {
    const traceId = randomBytes(16).toString("hex");
    const res = await api("/api/events", {
      body: { userId: `user-${traceId.slice(0, 8)}`, eventType: "login" },
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("traceparent")).toContain(traceId);
    const parentOf = (spans: any[], span: any) =>
      spans.find((p) => span.references.some((r: any) => r.refType === "CHILD_OF" && r.spanID === p.spanID));
    const doorOf = (spans: any[]) =>
      spans.find((s) => s.service === "gateway" && s.operationName === "POST /api/events");
    const producerOf = (spans: any[]) =>
      spans.find((s) => s.service === "producer" && s.operationName === "POST /api/events");
    // Spans reach Jaeger in batches, the gateway's own last (it ends when the answer is sent).
    const trace = await waitFor(
      async () => {
        const r = await fetch(`${jaeger}/api/traces/${traceId}`);
        if (r.status !== 200) return undefined;
        const data = ((await r.json()) as any).data[0];
        const services = (id: string) => data.processes[id]?.serviceName as string;
        const spans = (data.spans as any[]).map((s) => ({ ...s, service: services(s.processID) }));
        const producer = producerOf(spans);
        const call = producer && parentOf(spans, producer);
        return doorOf(spans) && call && parentOf(spans, call) && spans;
      },
      20_000,
      `trace ${traceId} in Jaeger`,
    );
    const door = doorOf(trace);
    expect(door.tags).toContainEqual({
      key: "eventscope.gateway.upstream",
      type: "string",
      value: "producer",
    });
    // The producer's parent is the gateway's call to it (the http instrumentation's client span),
    // inside the gateway's handling of the request.
    const call = parentOf(trace, producerOf(trace));
    expect(call).toMatchObject({ service: "gateway" });
    expect(call.tags).toContainEqual({ key: "span.kind", type: "string", value: "client" });
    expect(parentOf(trace, call)).toMatchObject({ service: "gateway" });
  });
});

describe("an upstream that is down", () => {
  it("answers 503 problem+json at once, and the other services are still served", async () => {
    const alone = await startService(
      "gateway",
      {
        LOG_LEVEL: "warn",
        PROJECTION_URL: running[2]!.url,
        PRODUCER_URL: "http://127.0.0.1:9",
        EVENT_STORE_URL: "http://127.0.0.1:9",
        NOTIFICATION_URL: "http://127.0.0.1:9",
        PROCESS_MANAGER_URL: "http://127.0.0.1:9",
      },
      { waitReady: false },
    );
    running.push(alone);
    const started = Date.now();
    const res = await request(`${alone.url}/api/events`, {
      body: { userId: "u", eventType: "login" },
      headers: { "x-api-key": key },
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 503, code: "UPSTREAM_UNAVAILABLE", upstream: "producer" });
    expect((await request(`${alone.url}/api/events`, { headers: { "x-api-key": key } })).status).toBe(200);
    expect((await fetch(`${alone.url}/health/ready`)).status).toBe(503);
  });
});

describe("Swagger UI in headless Chromium", () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it("renders every tag and 'Try it out' on POST /api/events answers 202 with the demo key", async () => {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const errors: string[] = [];
    const elsewhere: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("request", (r) => {
      if (!r.url().startsWith(gateway.url)) elsewhere.push(r.url());
    });
    await page.goto(`${gateway.url}/swagger`, { waitUntil: "load" });
    await page.locator(".opblock-tag-section").first().waitFor();
    const tags = await page
      .locator("h3.opblock-tag")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-tag")));
    const documented = (
      await readOpenApi(fileURLToPath(new URL("../../../docs/openapi.yaml", import.meta.url)))
    ).tags as { name: string }[];
    expect(tags).toEqual(documented.map((t) => t.name));
    expect(tags).toEqual(expect.arrayContaining(["producer", "event-store", "projection", "notification"]));

    // The demo key, through the Authorize dialog.
    await page
      .getByRole("button", { name: /Authorize/ })
      .first()
      .click();
    await page.locator(".modal-ux input[type=text], .modal-ux input[type=password]").first().fill(key);
    await page.locator(".modal-ux .auth-btn-wrapper button.authorize").click();
    await page.locator(".modal-ux button.btn-done").click();

    const op = page.locator("#operations-producer-publishEvent");
    await op.locator(".opblock-summary").click();
    await op.getByRole("button", { name: "Try it out" }).click();
    await op.locator("textarea.body-param__text").fill(
      JSON.stringify({
        userId: "swagger-user",
        eventType: "login",
        metadata: { ipAddress: "192.168.1.1" },
      }),
    );
    await op.getByRole("button", { name: "Execute" }).click();
    const status = op.locator(".live-responses-table .response .response-col_status").first();
    await status.waitFor({ timeout: 20_000 });
    expect((await status.textContent())?.trim()).toBe("202");
    const answered = await op.locator(".live-responses-table").textContent();
    expect(answered).toContain("Event published successfully");
    // The picture kept: the request's curl and the live 202 under it.
    await op
      .locator(".live-responses-table")
      .evaluate((e) => e.scrollIntoView({ block: "center", behavior: "instant" }));
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: false });
    expect(elsewhere, "nothing loaded from another origin").toEqual([]);
    expect(errors).toEqual([]);
  });
});
