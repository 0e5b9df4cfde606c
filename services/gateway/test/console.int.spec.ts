/**
 * The console through the front door: the gateway's own process (its main, as `make up` starts
 * it) with the console mounted at /console, in front of the event store, producer and projection
 * on free ports with topics and schemas of their own, on the real Kafka and PostgreSQL. Headless
 * Chromium (Debian's chromium through playwright-core) opens /console, and every file and every
 * answer the page asks for must come through the mount: the bundle, the config, a search, an
 * event's journey and the Kafka page. The notification service and the process manager are
 * stand-ins that are ready and answer nothing else: the journey shows their hops as failed in
 * place. Each run's screenshot goes to .eventscope/gateway-test/console.png.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
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
  repoRoot,
  waitFor,
  type RunningProcess,
} from "@eventscope/testkit";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const shots = join(repoRoot, ".eventscope", "gateway-test");
const call = requestWithKey(demoApiKey);

const name = uniqueName("gwconsole");
const schemas = { store: `${name}_store`, projection: `${name}_projection` };
let topics: TopicNames;
const running: RunningProcess[] = [];
let gateway: RunningProcess;
let browser: Browser;
let page: Page;
const pool = testPool();

/** Every request the page made, with its answer's status. */
const requests: { url: string; status: number | null }[] = [];
const pageErrors: string[] = [];

// Ready for the gateway's readiness, and a 503 problem for anything else.
const standIn = createServer((req, res) => {
  if (req.url?.startsWith("/health/"))
    return void res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
  res
    .writeHead(503, { "content-type": "application/problem+json" })
    .end(JSON.stringify({ status: 503, title: "Service Unavailable", detail: "a stand-in of this test" }));
});

const mount = () => `${gateway.url}/console/`;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  await new Promise<void>((r) => standIn.listen(0, "127.0.0.1", r));
  const standInUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
  topics = await createTopics(`${name}.`);
  const common = { TOPIC_PREFIX: `${name}.`, LOG_LEVEL: "warn", API_KEYS: demoApiKey };
  const store = await startService("event-store", {
    ...common,
    DATABASE_SCHEMA: schemas.store,
    CONSUMER_GROUP: `${name}-store`,
  });
  running.push(store);
  const [producer, projection] = await Promise.all([
    startService("producer", { ...common, DATABASE_SCHEMA: schemas.store, EVENT_STORE_URL: store.url }),
    startService("projection", {
      ...common,
      DATABASE_SCHEMA: schemas.projection,
      CONSUMER_GROUP: `${name}-projection`,
      EVENT_STORE_URL: store.url,
    }),
  ]);
  running.push(producer, projection);
  // The gateway's settings and the console's are read from the same environment: the console
  // reads this test's topics and the same services the gateway routes to.
  gateway = await startService("gateway", {
    LOG_LEVEL: "warn",
    TOPIC_PREFIX: `${name}.`,
    PRODUCER_URL: producer.url,
    EVENT_STORE_URL: store.url,
    PROJECTION_URL: projection.url,
    NOTIFICATION_URL: standInUrl,
    PROCESS_MANAGER_URL: standInUrl,
    UPSTREAM_TIMEOUT_MS: "5000",
  });
  running.push(gateway);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on(
    "requestfinished",
    (r) =>
      void r.response().then((answer) => requests.push({ url: r.url(), status: answer?.status() ?? null })),
  );
  // A request cut short by the test's own navigation is not a failure of the page.
  page.on("requestfailed", (r) => {
    if (r.failure()?.errorText !== "net::ERR_ABORTED") requests.push({ url: r.url(), status: null });
  });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(running.map((p) => p.kill()));
  standIn.close();
  for (const schema of Object.values(schemas)) await dropSchema(pool, schema);
  await pool.end();
  if (topics) await deleteTopics(topics);
});

const asked = (path: string) => requests.filter((r) => r.url.split("?")[0] === `${gateway.url}${path}`);

describe("the console mounted on the gateway, in headless Chromium", () => {
  it("loads its bundle through /console (the bare path redirects there)", async () => {
    await page.goto(`${gateway.url}/console`, { waitUntil: "load" });
    expect(page.url()).toBe(mount());
    await page.locator("form.search").waitFor({ timeout: 10_000 });
    await page.evaluate((k) => localStorage.setItem("eventscope.console.apiKey", k), demoApiKey);
    for (const file of ["/console/", "/console/app.js", "/console/app.css"])
      expect(asked(file).map((r) => r.status)).toContain(200);
    const script = await fetch(`${gateway.url}/console/app.js`);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect(await script.text()).toContain("eventscope.console.apiKey");
  });

  it("finds an event posted through the gateway and shows its journey, all through the mount", async () => {
    const customerId = `cust-${randomBytes(4).toString("hex")}`;
    const posted = await call(`${gateway.url}/customer`, {
      body: { customerId, name: "Ada", email: "ada@example.com" },
    });
    expect(posted.status).toBe(202);
    const eventId = posted.body.eventId as string;

    await waitFor(
      async () =>
        (await call(`${gateway.url}/api/eventstore/events/${eventId}`)).body?.status === "committed",
      20_000,
      `event ${eventId} committed`,
    );

    await page.goto(`${mount()}#/journey`, { waitUntil: "load" });
    await page.fill("input[name=value]", eventId);
    await page.click("form.search button[type=submit]");
    await page.waitForSelector("#status .status", { timeout: 10_000 });
    await expect(page.locator("#status .status").textContent()).resolves.toBe("committed");
    expect(page.url()).toBe(`${mount()}#/journey/${eventId}`);
    await expect(page.locator("#stream tr.current").textContent()).resolves.toContain("CustomerCreated");
    // The stand-ins' hops fail in their place; the others are still shown.
    await expect(page.locator("#deliveries .error").textContent()).resolves.toMatch(/^503: notification/);
    await expect(page.locator("#process-steps .error").textContent()).resolves.toMatch(
      /^503: process-manager/,
    );
    expect(asked("/console/api/search").map((r) => r.status)).toContain(200);
    expect(asked(`/console/api/events/${eventId}/journey`).map((r) => r.status)).toContain(200);
    await page.screenshot({ path: join(shots, "console.png"), fullPage: true });
  });

  it("lists this test's topics and groups on the Kafka page through the mount", async () => {
    await page.goto(`${mount()}#/kafka`, { waitUntil: "load" });
    await page.waitForSelector(`[data-topic="${topics.committed}"]`, { timeout: 15_000 });
    await page.waitForSelector(`[data-group="${name}-projection"]`, { timeout: 15_000 });
    expect(asked("/console/api/kafka/topics").map((r) => r.status)).toContain(200);
    expect(asked("/console/api/kafka/groups").map((r) => r.status)).toContain(200);

    // Nothing came from anywhere but the console's mount, and nothing failed in the page.
    const elsewhere = requests.filter(
      (r) =>
        r.url !== `${gateway.url}/console` && !r.url.startsWith(mount()) && !/^(data|about):/.test(r.url),
    );
    expect(elsewhere).toEqual([]);
    expect(requests.filter((r) => r.status === null || r.status >= 400)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
