import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TopicNames } from "@eventscope/platform";
import {
  createTopics,
  deleteTopics,
  dropSchema,
  request,
  startService,
  testPool,
  uniqueName,
  type JsonResponse,
  type RunningProcess,
} from "@eventscope/testkit";
import { apiKeysSetting, fill, highWatermark, keys, paramsOf, routeTables, wrongKeyFor } from "./support.ts";

// The door of every service, against the real Kafka and PostgreSQL with the four services running
// as processes on topics and schemas of their own, keys of each scope configured: hostile input
// gets a 4xx problem naming the field and publishes nothing; every state change and every read of
// personal data asks for its scope.
const name = uniqueName("door");
const schemas = { store: `${name}_store`, projection: `${name}_projection`, notification: `${name}_notif` };
let topics: TopicNames;
const pool = testPool();
const urls = { producer: "", eventStore: "", projection: "", notification: "" };
const running: RunningProcess[] = [];
const tables = routeTables();

beforeAll(async () => {
  topics = await createTopics(`${name}.`, 3);
  const common = { TOPIC_PREFIX: `${name}.`, LOG_LEVEL: "warn", API_KEYS: apiKeysSetting };
  const store = await startService("event-store", {
    ...common,
    DATABASE_SCHEMA: schemas.store,
    CONSUMER_GROUP: `${name}-store`,
  });
  const [producer, projection, notification] = await Promise.all([
    startService("producer", { ...common, EVENT_STORE_URL: store.url }),
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
  running.push(store, producer, projection, notification);
  Object.assign(urls, {
    producer: producer.url,
    eventStore: store.url,
    projection: projection.url,
    notification: notification.url,
  });
});

afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
  for (const schema of Object.values(schemas)) await dropSchema(pool, schema);
  await pool.end();
  await deleteTopics(topics);
});

const send = (
  url: string,
  init: { method: string; raw?: string | Buffer; headers?: Record<string, string> },
): Promise<JsonResponse> =>
  fetch(url, { method: init.method, body: init.raw, headers: init.headers }).then(async (res) => {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    return { status: res.status, headers: res.headers, body };
  });

/** Asserts a 4xx problem+json, and (when given) that it names `field`. */
function expectProblem(label: string, res: JsonResponse, status: number | "4xx", field?: string) {
  if (status === "4xx") {
    expect(res.status, label).toBeGreaterThanOrEqual(400);
    expect(res.status, label).toBeLessThan(500);
  } else expect(res.status, label).toBe(status);
  expect(res.headers.get("content-type"), label).toContain("application/problem+json");
  expect(res.body?.status, label).toBe(res.status);
  if (field !== undefined)
    expect(
      res.body.errors?.map((e: any) => e.field),
      label,
    ).toContain(field);
}

const json = { "content-type": "application/json", "x-api-key": keys.write };

describe("the producer's door: a corpus of bad input on every write route", () => {
  it("answers every case with its 4xx problem naming the field, never a 5xx, and publishes nothing", async () => {
    const before = await highWatermark(topics.ingest);
    const writes = tables.producer.filter((r) => r.method !== "GET" && r.scope === "write");
    expect(writes.length).toBeGreaterThan(25);
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    const seen = new Map<string, number>();
    for (const route of writes) {
      const url = `${urls.producer}${fill(route.path)}`;
      const ce = route.path === "/api/cloudevents";
      const type = ce ? "application/cloudevents+json" : "application/json";
      const headers = { ...json, "content-type": type };
      const cases: [
        string,
        { raw?: string | Buffer; headers?: Record<string, string> },
        number | "4xx",
        string?,
      ][] = [
        ["invalid UTF-8", { raw: Buffer.from('{"reason":"\xff"}', "latin1"), headers }, 400, "body"],
        [
          "iso-8859-1",
          { raw: '{"reason":"x"}', headers: { ...headers, "content-type": `${type}; charset=iso-8859-1` } },
          415,
          "content-type",
        ],
        ["NUL in a string", { raw: '{"reason":"a\\u0000b"}', headers }, 400, "/reason"],
        ["NUL in a nested string", { raw: '{"data":{"reason":"a\\u0000b"}}', headers }, 400, "/data/reason"],
        ["lone surrogate", { raw: '{"reason":"\\ud800"}', headers }, 400, "/reason"],
        ["NUL in a field name", { raw: '{"a\\u0000":1}', headers }, 400, "/a\u0000"],
        ["1e400", { raw: '{"n":1e400}', headers }, 400, "/n"],
        ["integer beyond 2^53", { raw: '{"n":99999999999999999999}', headers }, 400, "/n"],
        ["20,000 deep", { raw: deep, headers }, 400, "body"],
        ["malformed JSON", { raw: "{nope", headers }, 400, "body"],
        ["null body", { raw: "null", headers }, 400],
        ["a number as body", { raw: "42", headers }, 400],
        [
          "wrong content type",
          { raw: "a=b", headers: { ...headers, "content-type": "application/x-www-form-urlencoded" } },
          415,
          "content-type",
        ],
        ["too large", { raw: JSON.stringify({ x: "y".repeat(300_000) }), headers }, 413, "body"],
        ["no key", { raw: "{}", headers: { "content-type": type } }, 401, "X-API-Key"],
        ["read key", { raw: "{}", headers: { ...headers, "x-api-key": keys.read } }, 403, "X-API-Key"],
        [
          "bad Idempotency-Key",
          { raw: "{}", headers: { ...headers, "idempotency-key": "x".repeat(300) } },
          400,
          "Idempotency-Key",
        ],
        ['If-Match ""', { raw: "{}", headers: { ...headers, "if-match": "" } }, 400, "If-Match"],
        ["If-Match 0x10", { raw: "{}", headers: { ...headers, "if-match": "0x10" } }, 400, "If-Match"],
        [
          "If-Match 99999999999999999999",
          { raw: "{}", headers: { ...headers, "if-match": "99999999999999999999" } },
          400,
          "If-Match",
        ],
      ];
      for (const param of paramsOf(route.path)) {
        for (const hostile of ["%ff", "%E0%A4%A", "a%00b", "%ED%A0%80"]) {
          cases.push([
            `${param}=${hostile}`,
            { raw: "{}", headers, url: `${urls.producer}${fill(route.path, { [param]: hostile })}` } as never,
            400,
            param,
          ]);
        }
      }
      for (const [label, c, status, field] of cases) {
        const target = (c as { url?: string }).url ?? url;
        const res = await send(target, { method: route.method, raw: c.raw, headers: c.headers });
        expectProblem(`${route.method} ${route.path}: ${label}`, res, status, field);
        seen.set(label, (seen.get(label) ?? 0) + 1);
      }
    }
    // The seed systems' own bad inputs, with their fields.
    const envelope = (body: unknown) =>
      request(`${urls.producer}/api/events`, { body, headers: { "x-api-key": keys.write } });
    expectProblem(
      "wrong type",
      await request(`${urls.producer}/api/tasks`, {
        body: { title: 42 },
        headers: { "x-api-key": keys.write },
      }),
      400,
      "/data/title",
    );
    expectProblem(
      "unknown event type",
      await envelope({ eventType: "NoSuchThing", aggregateType: "Task", aggregateId: "x", data: {} }),
      400,
      "/eventType",
    );
    expectProblem(
      "missing field",
      await request(`${urls.producer}/customer`, {
        body: { name: "No Mail" },
        headers: { "x-api-key": keys.write },
      }),
      400,
      "/data/email",
    );
    expectProblem(
      "expectedVersion beyond 9 digits",
      await envelope({
        eventType: "login",
        aggregateType: "User",
        aggregateId: "x",
        expectedVersion: 1_000_000_000,
      }),
      400,
      "/expectedVersion",
    );
    expectProblem(
      "a NUL in an aggregate id",
      await request(`${urls.producer}/api/orders/a%00b/validate`, {
        method: "POST",
        headers: { "x-api-key": keys.write },
      }),
      400,
      "id",
    );
    const batch = (body: unknown, headers: Record<string, string> = {}) =>
      request(`${urls.producer}/api/events/batch`, {
        body,
        headers: { "x-api-key": keys.write, ...headers },
      });
    expectProblem("null batch", await batch(null), 400, "/events");
    expectProblem(
      "If-Match on a batch",
      await batch([{ eventType: "login", aggregateType: "User", aggregateId: "b", data: {} }], {
        "if-match": "1",
      }),
      400,
      "If-Match",
    );
    expectProblem(
      "an invalid event in a batch",
      await batch([
        { eventType: "login", aggregateType: "User", aggregateId: "ok", data: {} },
        { eventType: "TaskCreated", aggregateType: "Task", aggregateId: "t", data: {} },
      ]),
      400,
      "/1/data/title",
    );
    expect(seen.get("20,000 deep")).toBe(writes.length);
    expect(await highWatermark(topics.ingest)).toBe(before);
  });
});

describe("read routes of every service: hostile parameters", () => {
  it("answer %ff, a cut sequence, NUL, huge numbers and bad dates with a 4xx problem, never a 5xx", async () => {
    const reads: [string, string, string | undefined][] = [];
    for (const [service, routes] of Object.entries(tables)) {
      for (const route of routes.filter((r) => r.method === "GET" && r.path !== "/metrics")) {
        const base = `${urls[service as keyof typeof urls]}`;
        for (const param of paramsOf(route.path))
          for (const hostile of ["%ff", "%E0%A4%A", "a%00b"])
            reads.push([
              `${route.path} ${param}=${hostile}`,
              `${base}${fill(route.path, { [param]: hostile })}`,
              param,
            ]);
        for (const hostile of ["%00", "%ff", "%ED%A0%80"])
          reads.push([`${route.path} ?x=${hostile}`, `${base}${fill(route.path)}?x=${hostile}`, "x"]);
        if (route.path !== "/health/live" && route.path !== "/health/ready" && route.path !== "/lag")
          reads.push([`${route.path} ?limit=0`, `${base}${fill(route.path)}?limit=0`, undefined]);
      }
    }
    const store = `${urls.eventStore}/api/eventstore`;
    const specific: [string, string, string][] = [
      ["feed after=1:99999999999999999999", `${store}/feed?after=1:99999999999999999999`, "after"],
      ["feed after=99999999999999999999999:1", `${store}/feed?after=99999999999999999999999:1`, "after"],
      ["feed after=x", `${store}/feed?after=x`, "after"],
      ["feed limit=0x10", `${store}/feed?limit=0x10`, "limit"],
      ["feed limit=99999999999999999999", `${store}/feed?limit=99999999999999999999`, "limit"],
      ["replay at=99999-01-01", `${store}/replay/User/u?at=99999-01-01`, "at"],
      ["replay fromDate=yesterday", `${store}/replay/User/u?fromDate=yesterday`, "fromDate"],
      ["replay version=1e400", `${store}/replay/User/u?version=1e400`, "version"],
      ["streams fromVersion=-1", `${store}/streams/User/u?fromVersion=-1`, "fromVersion"],
      ["projection offset=-1", `${urls.projection}/api/orders?offset=-1`, "offset"],
      ["projection limit=0", `${urls.projection}/api/orders?limit=0`, "limit"],
      ["projection status=NUL", `${urls.projection}/api/orders?status=%00`, "status"],
      ["deliveries eventId=NUL", `${urls.notification}/api/deliveries?eventId=%00`, "eventId"],
      ["deliveries limit=0", `${urls.notification}/api/deliveries?limit=0`, "limit"],
    ];
    let refused = 0;
    for (const [label, url, field] of [...reads, ...specific]) {
      const res = await send(url, { method: "GET", headers: { "x-api-key": keys.all } });
      expect(res.status, label).toBeLessThan(500);
      if (res.status >= 400) {
        expectProblem(label, res, "4xx", field);
        refused++;
      } else {
        // Only a route that reads no limit may answer a limit=0 with 200.
        expect(label, label).toMatch(/limit=0$/);
      }
    }
    for (const [label, url, field] of specific) {
      const res = await send(url, { method: "GET", headers: { "x-api-key": keys.all } });
      expectProblem(label, res, 400, field);
    }
    expect(refused).toBeGreaterThan(reads.length / 2);
  });

  it("refuses If-Match where it makes no sense", async () => {
    const res = await send(`${urls.eventStore}/api/eventstore/stats`, {
      method: "GET",
      headers: { "if-match": "1" },
    });
    expectProblem("If-Match on a read", res, 400, "If-Match");
  });
});

describe("access: every state change and every read of personal data asks for its scope", () => {
  it("answers 401 without a key, 403 with another scope's key, and lets the right one through", async () => {
    let checked = 0;
    for (const [service, routes] of Object.entries(tables)) {
      for (const route of routes.filter((r) => r.scope)) {
        const url = `${urls[service as keyof typeof urls]}${fill(route.path)}`;
        const body = route.method === "GET" || route.method === "DELETE" ? undefined : "{}";
        const headers = (key?: string): Record<string, string> => ({
          ...(body
            ? {
                "content-type":
                  route.path === "/api/cloudevents" ? "application/cloudevents+json" : "application/json",
              }
            : {}),
          ...(key ? { "x-api-key": key } : {}),
        });
        const label = `${service} ${route.method} ${route.path}`;
        const none = await send(url, { method: route.method, raw: body, headers: headers() });
        expectProblem(`${label} without a key`, none, 401, "X-API-Key");
        expect(none.body.requiredScope, label).toBe(route.scope);
        const unknown = await send(url, { method: route.method, raw: body, headers: headers("k-nobody") });
        expectProblem(`${label} with an unknown key`, unknown, 401, "X-API-Key");
        const wrong = await send(url, {
          method: route.method,
          raw: body,
          headers: headers(wrongKeyFor(route.scope!)),
        });
        expectProblem(`${label} with the wrong scope`, wrong, 403, "X-API-Key");
        expect(wrong.body.requiredScope, label).toBe(route.scope);
        const right = await send(url, {
          method: route.method,
          raw: body,
          headers: headers(keys[route.scope!]),
        });
        expect([401, 403], `${label} with the ${route.scope} key`).not.toContain(right.status);
        expect(right.status, label).toBeLessThan(500);
        checked++;
      }
    }
    // State changes on every service, and the personal-data reads the issue names.
    const scoped = Object.values(tables)
      .flat()
      .filter((r) => r.scope);
    for (const path of [
      "/api/projections/:name/rebuild",
      "/api/eventstore/dead-letters/:id/replay",
      "/api/projection/dead-letters/:id/replay",
      "/api/notification/dead-letters/:id/replay",
      "/api/deliveries/:id/replay",
      "/api/subscriptions",
    ])
      expect(scoped.find((r) => r.path === path && r.method === "POST")?.scope, path).toBe("admin");
    for (const path of [
      "/api/customers",
      "/customer/:id",
      "/api/deliveries",
      "/api/eventstore/feed",
      "/api/eventstore/streams/:aggregateType/:aggregateId",
      "/api/eventstore/replay/:aggregateType/:aggregateId",
    ])
      expect(scoped.find((r) => r.path === path && r.method === "GET")?.scope, path).toBe("read");
    expect(checked).toBe(scoped.length);
  });

  it("keeps health, metrics and lag open", async () => {
    for (const url of Object.values(urls)) {
      expect((await send(`${url}/health/live`, { method: "GET" })).status).toBe(200);
      expect((await send(`${url}/metrics`, { method: "GET" })).status).toBe(200);
    }
  });
});
