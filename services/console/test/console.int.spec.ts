/**
 * The console in headless Chromium (Debian's chromium through playwright-core, as the report
 * test does) in front of the real services: producer, event store, projection, notification and
 * process manager on free ports with topics and schemas of their own, the console's standalone
 * main beside them, and the shared Kafka, PostgreSQL, Jaeger and Prometheus. Each run's
 * screenshots go to .eventscope/console-test/ (UPDATE_SCREENSHOTS=1 also refreshes the kept ones
 * in test/screenshots/).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import type { TopicNames } from "@eventscope/platform";
import {
  brokers,
  createTopics,
  deleteTopics,
  demoApiKey,
  dropSchema,
  freePort,
  repoRoot,
  requestWithKey,
  startService,
  testPool,
  uniqueName,
  waitFor,
  type RunningProcess,
} from "@eventscope/testkit";
import kafkajs from "kafkajs";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const here = import.meta.dirname;
const shots = join(repoRoot, ".eventscope", "console-test");
const readKey = "console-reader-key";
const call = requestWithKey(demoApiKey);

const name = uniqueName("console");
const schemas = {
  store: `${name}_store`,
  projection: `${name}_projection`,
  notification: `${name}_notification`,
  processes: `${name}_pm`,
};
let topics: TopicNames;
const services: RunningProcess[] = [];
let producer: RunningProcess;
let manager: RunningProcess;
let consoleProcess: ChildProcess | undefined;
let consoleUrl = "";
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const pool = testPool();

async function screenshot(file: string): Promise<void> {
  await page.screenshot({ path: join(shots, file), fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === "1")
    await copyFile(join(shots, file), join(here, "screenshots", file));
}

async function useKey(key: string | null): Promise<void> {
  await page.evaluate(
    (k) =>
      k
        ? localStorage.setItem("eventscope.console.apiKey", k)
        : localStorage.removeItem("eventscope.console.apiKey"),
    key,
  );
}

async function open(hash: string): Promise<void> {
  // A new document each time: a change of the hash alone would not reload the page.
  await page.goto("about:blank");
  await page.goto(`${consoleUrl}/${hash}`, { waitUntil: "load" });
}

/** Searches on a fresh journey page and waits for the result row of `expected`. */
async function searchFor(
  by: "aggregate" | "correlationId" | "userId",
  value: string,
  expected: string,
  aggregateType?: string,
): Promise<string> {
  await open("#/journey");
  await page.selectOption("select[name=by]", by);
  if (aggregateType) await page.fill("input[name=aggregateType]", aggregateType);
  await page.fill("input[name=value]", value);
  await page.click("form.search button[type=submit]");
  await page.waitForSelector(`table.results a[href="#/journey/${expected}"]`, { timeout: 5000 });
  return (await page.locator("table.results").textContent()) ?? "";
}

/** Refreshes the journey on the page until `ready` holds (each hop answers in its own time). */
async function refreshUntil(ready: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await waitFor(
    async () => {
      await page.click(".journey .toolbar button");
      await page.waitForSelector("#trace", { timeout: 5000 });
      await page.waitForFunction(
        () =>
          !(globalThis as any).document
            .querySelector(".journey .toolbar button")
            ?.textContent?.includes("loading"),
      );
      return ready();
    },
    timeoutMs,
    what,
  );
}

beforeAll(async () => {
  if (!existsSync(join(here, "..", "dist", "index.html"))) {
    const built = spawnSync(process.execPath, [join(here, "..", "src", "build-web.ts")], {
      stdio: "inherit",
    });
    if (built.status !== 0) throw new Error("the console's web app did not build");
  }
  await mkdir(shots, { recursive: true });
  topics = await createTopics(`${name}.`);
  const common = { TOPIC_PREFIX: `${name}.`, LOG_LEVEL: "warn", API_KEYS: `${demoApiKey},${readKey}:read` };
  const store = await startService("event-store", {
    ...common,
    DATABASE_SCHEMA: schemas.store,
    CONSUMER_GROUP: `${name}-store`,
  });
  producer = await startService("producer", {
    ...common,
    DATABASE_SCHEMA: schemas.store,
    EVENT_STORE_URL: store.url,
  });
  const [projection, notification] = await Promise.all([
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
    }),
  ]);
  manager = await startService("process-manager", {
    ...common,
    DATABASE_SCHEMA: schemas.processes,
    CONSUMER_GROUP: `${name}-pm`,
    PRODUCER_URL: producer.url,
    API_KEY: demoApiKey,
  });
  services.push(store, producer, projection, notification, manager);

  const port = await freePort();
  consoleUrl = `http://127.0.0.1:${port}`;
  consoleProcess = spawn(process.execPath, [join(here, "..", "src", "main.ts")], {
    cwd: repoRoot,
    env: {
      ...process.env,
      CONSOLE_PORT: String(port),
      LOG_LEVEL: "warn",
      TOPIC_PREFIX: `${name}.`,
      KAFKA_BROKERS: brokers.join(","),
      EVENT_STORE_URL: store.url,
      PROJECTION_URL: projection.url,
      NOTIFICATION_URL: notification.url,
      PROCESS_MANAGER_URL: manager.url,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitFor(async () => (await fetch(`${consoleUrl}/api/config`)).ok, 30_000, "the console to answer");

  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("request", (r) => {
    if (!r.url().startsWith(consoleUrl) && !r.url().startsWith("data:") && !r.url().startsWith("about:"))
      pageErrors.push(`request left the console: ${r.url()}`);
  });
  await open("");
  await useKey(demoApiKey);
});

afterAll(async () => {
  await browser?.close();
  consoleProcess?.kill("SIGTERM");
  await Promise.all(services.map((s) => s.kill()));
  for (const schema of Object.values(schemas)) await dropSchema(pool, schema);
  await pool.end();
  if (topics) await deleteTopics(topics);
});

describe("the console in headless Chromium", () => {
  let eventId = "";
  const customerId = `cust-${randomUUID()}`;

  it("finds an event posted by the test and shows every hop and its trace waterfall", async () => {
    const posted = await call(`${producer.url}/customer`, {
      body: { customerId, name: "Ada", email: "ada@example.com" },
    });
    expect(posted.status).toBe(202);
    eventId = posted.body.eventId as string;
    const userId = `user-${randomUUID()}`;
    const login = await call(`${producer.url}/api/events`, {
      body: { userId, eventType: "login", metadata: { ipAddress: "192.168.1.1" } },
    });
    expect(login.status).toBe(202);

    await open("#/journey");
    await page.fill("input[name=value]", eventId);
    await page.click("form.search button[type=submit]");
    await page.waitForSelector("#status");
    // Every hop answers in its own time: refresh until the delivery and the four services' spans are there.
    await refreshUntil(
      async () => {
        const services = await page.locator(".span-row .service").allTextContents();
        const deliveries = await page.locator("tr.delivery").count();
        const applied = await page.locator("#read-models .model").count();
        return (
          ["producer", "event-store", "projection", "notification"].every((s) => services.includes(s)) &&
          deliveries > 0 &&
          applied > 0
        );
      },
      20_000,
      "the journey's hops and trace",
    );
    await expect(page.locator("#status .status").textContent()).resolves.toBe("committed");
    await expect(page.locator("#status .version").textContent()).resolves.toBe("1");
    expect(Number(await page.locator("#status .position").textContent())).toBeGreaterThan(0);
    await expect(page.locator("#stream tr.current").textContent()).resolves.toContain("CustomerCreated");
    await expect(page.locator("#read-models").textContent()).resolves.toContain("ada@example.com");
    const delivery = await page.locator("tr.delivery").first().locator("td").allTextContents();
    expect(delivery[0]).toBe("email");
    expect(delivery[1]).toBe("customer-welcome");
    const bars = await page.locator(".span-bar").count();
    expect(bars).toBeGreaterThanOrEqual(4);
    const jaeger = await page.locator("a.jaeger").getAttribute("href");
    expect(jaeger).toMatch(/\/trace\/[0-9a-f]{32}$/);
    await expect(page.locator("#process-steps").textContent()).resolves.toContain(
      "no process step started by this event",
    );
    await screenshot("journey.png");

    // The same event by its aggregate and by its correlation id (a first event's own id).
    await expect(searchFor("aggregate", customerId, eventId, "Customer")).resolves.toContain(
      "CustomerCreated",
    );
    const correlated = await searchFor("correlationId", eventId, eventId);
    expect(correlated).toContain(`Customer/${customerId}`);
    expect(correlated).not.toContain(login.body.eventId);
    // A user's activity by the user id, once the projection has it.
    const loginId = login.body.eventId as string;
    await waitFor(
      async () => (await searchFor("userId", userId, loginId)).includes("login"),
      20_000,
      "the login in the user's activity",
    );
    await page.click(`table.results a[href="#/journey/${loginId}"]`);
    await page.waitForSelector("#status .status");
    await expect(page.locator("#status .status").textContent()).resolves.toBe("committed");
  });

  it("shows the process steps an event started, each with its status and the event it produced", async () => {
    const productId = `prod-${randomUUID()}`;
    const product = { productId, name: "Lamp", sku: productId, price: 3 };
    expect((await call(`${producer.url}/api/products`, { body: product })).status).toBe(202);
    const replenished = await call(`${producer.url}/api/products/${productId}/replenish`, {
      body: { quantity: 6 },
    });
    expect(replenished.status).toBe(202);
    const cause = replenished.body.eventId as string;

    await open(`#/journey/${cause}`);
    await page.waitForSelector("#process-steps");
    const step = page.locator("tr.process-step").first();
    await refreshUntil(
      async () =>
        (await step.count()) > 0 && (await step.locator(".step-status").textContent()) === "committed",
      20_000,
      "the replenishment's step committed",
    );
    const cells = await step.locator("td").allTextContents();
    expect(cells[0]).toContain(`stock:${productId}`);
    expect(cells[1]).toBe("replenish:2");
    expect(cells[5]).toBe("StockUpdated");
    expect(cells[6]).toBe(`Inventory/${productId}`);
    const produced = (await step.locator("td.produced a").textContent())!;
    expect(produced).toMatch(/^[0-9a-f-]{36}$/);
    await screenshot("process-steps.png");

    // The event the step produced: stored, and sent by the process because of the replenishment.
    await step.locator("td.produced a").click();
    await page.waitForSelector("#process-steps .sent-by");
    await expect(page.locator("#status .status").textContent()).resolves.toBe("committed");
    await expect(page.locator("#status dd").first().textContent()).resolves.toBe("StockUpdated");
    const sentBy = (await page.locator("#process-steps .sent-by").textContent())!;
    expect(sentBy).toContain(`stock:${productId}`);
    expect(sentBy).toContain(`caused by ${cause}`);

    // The process manager's route itself: read scope, and an id that is not one is refused.
    const steps = await call(`${manager.url}/api/processes/steps?causedBy=${cause}`);
    expect(steps.body.steps.map((s: { eventId: string }) => s.eventId)).toEqual([produced]);
    expect((await fetch(`${manager.url}/api/processes/steps?causedBy=${cause}`)).status).toBe(401);
    const refused = await call(`${manager.url}/api/processes/steps?causedBy=nope`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: "causedBy", reason: "must be a UUID" }]);
  });

  it("lists the platform's topics with their sizes and consumer groups with their lag", async () => {
    // Prometheus scrapes the broker's log sizes every few seconds: wait for this test's topic.
    const sized = await waitFor(
      async () => {
        const answer = await call(`${consoleUrl}/api/kafka/topics`);
        const committed = answer.body.topics.find((t: { topic: string }) => t.topic === topics.committed);
        return committed?.bytes > 0 && committed;
      },
      25_000,
      `a size for ${topics.committed}`,
    );
    await open("#/kafka");
    await page.waitForSelector(`[data-topic="${topics.committed}"]`);
    for (const topic of Object.values(topics))
      expect(await page.locator(`[data-topic="${topic}"]`).count()).toBe(6);
    const shown = await page.locator(`[data-topic="${topics.committed}"] td.bytes`).allTextContents();
    sized.partitions.forEach((p: { bytes: number | null }, i: number) => {
      if (p.bytes !== null && p.bytes > 0) expect(shown[i]).toMatch(/^\d[\d.]* (B|KiB|MiB|GiB)/);
    });
    expect(shown[0]).toMatch(/\(topic \d[\d.]* (B|KiB|MiB|GiB)\)$/);
    for (const group of [`${name}-store`, `${name}-projection`, `${name}-notification`, `${name}-pm`]) {
      await page.waitForSelector(`[data-group="${group}"]`, { timeout: 15_000 });
      const text = await page.locator(`[data-group="${group}"] h3`).textContent();
      expect(text).toMatch(/lag \d+/);
      expect(text).toMatch(/OK|WARNING|STALL|STOP/);
    }
    // A row per partition the group committed on, each with its lag in messages.
    const lags = await page.locator(`[data-group="${name}-projection"] td.lag`).allTextContents();
    expect(lags.length).toBeGreaterThan(0);
    for (const lag of lags) expect(lag).toMatch(/^\d[\d,]*$/);
    await screenshot("kafka.png");
  });

  it("shows a message with its headers decoded", async () => {
    const admin = new kafkajs.Kafka({
      clientId: "console-test",
      brokers,
      logLevel: kafkajs.logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topics.committed).finally(() => admin.disconnect());
    // The customer's event among the other tests' events: its partition and offset.
    let found: { partition: number; offset: string } | undefined;
    for (const { partition, high } of offsets.filter((o) => Number(o.high) > 0)) {
      const read = await call(
        `${consoleUrl}/api/kafka/topics/${topics.committed}/partitions/${partition}/messages?limit=${high}`,
      );
      const m = read.body.messages.find((x: any) => x.headers.cloudEvents.id === eventId);
      if (m) found = { partition, offset: m.offset as string };
    }
    expect(found).toBeDefined();
    await open("#/kafka");
    await page.fill("#messages input[name=topic]", topics.committed);
    await page.fill("#messages input[name=partition]", String(found!.partition));
    await page.fill("#messages input[name=offset]", found!.offset);
    await page.click("#messages button[type=submit]");
    await page.waitForSelector("#messages .message");
    const message = page.locator("#messages .message").first();
    const text = await message.textContent();
    expect(text).toContain(`ce.id${eventId}`);
    expect(text).toContain("ce.typeCustomerCreated");
    expect(text).toContain(`ce.subjectCustomer/${customerId}`);
    await expect(message.locator(".traceparent").textContent()).resolves.toMatch(
      /trace [0-9a-f]{32} span [0-9a-f]{16} sampled/,
    );
    await expect(message.locator(".value").textContent()).resolves.toContain("ada@example.com");
    await page.locator("#messages .message").first().scrollIntoViewIfNeeded();
    await screenshot("message.png");
  });

  it("replays a parked message with the admin key and refuses it without one", async () => {
    // A message the projection cannot read: parked with its reason.
    const producerClient = new kafkajs.Kafka({
      clientId: "console-test",
      brokers,
      logLevel: kafkajs.logLevel.NOTHING,
    }).producer();
    await producerClient.connect();
    await producerClient.send({
      topic: topics.committed,
      messages: [{ key: "poison", value: "not an event {" }],
    });
    await producerClient.disconnect();
    // Every reader of events.committed parks it: the projection, the notification service and the
    // process manager.
    await waitFor(
      async () => {
        const { services } = (await call(`${consoleUrl}/api/dead-letters`)).body;
        return ["projection", "notification", "process-manager"].every(
          (name) => services.find((s: any) => s.service === name)?.deadLetters.length > 0,
        );
      },
      20_000,
      "the consumers of events.committed to park the message",
    );

    await open("#/kafka");
    const row = page.locator('tr.dead-letter[data-service="projection"]').first();
    await row.waitFor();
    const id = await row.getAttribute("data-id");
    const parkedByManager = page.locator('tr.dead-letter[data-service="process-manager"]').first();
    await expect(parkedByManager.locator("td").nth(1).textContent()).resolves.toContain(topics.committed);
    const managerId = await parkedByManager.getAttribute("data-id");

    await useKey(readKey);
    await open("#/kafka");
    await page.locator(`tr.dead-letter[data-service="projection"][data-id="${id}"] button.replay`).click();
    await expect(page.locator("#dead-letters .error[role=status]").textContent()).resolves.toMatch(
      /refused: 403/,
    );
    const anonymous = await fetch(`${consoleUrl}/api/dead-letters/projection/${id}/replay`, {
      method: "POST",
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toMatch(/problem\+json/);

    await useKey(demoApiKey);
    await open("#/kafka");
    await page.locator(`tr.dead-letter[data-service="projection"][data-id="${id}"] button.replay`).click();
    await expect(page.locator("#dead-letters .note").textContent()).resolves.toBe(
      `replayed projection #${id}`,
    );
    const listed = await call(`${services[2]!.url}/api/projection/dead-letters?all=true`);
    expect(listed.body.deadLetters.find((d: any) => d.id === id).replayedAt).not.toBeNull();
    await screenshot("dead-letters.png");

    // The process manager's parked message, replayed the same way.
    await open("#/kafka");
    await page
      .locator(`tr.dead-letter[data-service="process-manager"][data-id="${managerId}"] button.replay`)
      .click();
    await page.waitForSelector("#dead-letters .note");
    await expect(page.locator("#dead-letters .note").textContent()).resolves.toBe(
      `replayed process-manager #${managerId}`,
    );
    const parked = await call(`${manager.url}/api/process-manager/dead-letters?all=true`);
    expect(parked.body.deadLetters.find((d: any) => d.id === managerId).replayedAt).not.toBeNull();
  });

  it("draws the live figures from Prometheus and lists the load reports", async () => {
    await open("#/live");
    await page.waitForSelector("#chart-rate");
    await page.waitForSelector("#reports");
    // The shared Prometheus scrapes the stack on 8081-8084 (not this test's services): the charts
    // are drawn from whatever it holds; a fresh machine may hold nothing yet.
    const answer: any = await fetch(`${consoleUrl}/api/live?minutes=5`).then((r) => r.json());
    expect(answer.errors).toEqual([]);
    if (answer.eventsPerSecond.length > 0) await page.waitForSelector("#chart-rate canvas");
    await screenshot("live.png");
    expect(pageErrors).toEqual([]);
  });
});
