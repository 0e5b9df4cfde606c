import { trace } from "@opentelemetry/api";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpApp } from "./http.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { unauthorized } from "./errors.ts";
import { parseApiKeys } from "./api-keys.ts";
import { PublishError } from "./kafka/types.ts";

let base = "";
const { server } = createHttpApp({
  logger: createLogger({ service: "test", level: "silent" }),
  metrics: createMetrics("test"),
  tracer: trace.getTracer("test"),
  bodyLimitBytes: 64,
  readiness: { always: () => true, never: async () => false },
  guard: (request) => {
    if (request.headers["x-api-key"] === "bad") throw unauthorized("bad key");
  },
  routes: [
    {
      method: "GET",
      path: "/things/:id",
      handler: ({ params, query }) => ({ status: 200, body: { id: params.id, q: query.get("q") } }),
    },
    {
      method: "POST",
      path: "/things",
      accepts: ["application/json"],
      handler: ({ body }) => ({ status: 201, body }),
    },
    {
      method: "DELETE",
      path: "/things/:id",
      accepts: ["application/json"],
      bodyOptional: true,
      handler: ({ body }) => ({ status: 200, body: { body: body ?? null } }),
    },
    {
      method: "GET",
      path: "/publish/:outcome",
      handler: ({ params }) => {
        throw new PublishError(
          "Kafka said nothing",
          params.outcome === "in-doubt" ? "in-doubt" : "not-sent",
          2,
        );
      },
    },
  ],
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const post = (path: string, body: string, type = "application/json", headers: Record<string, string> = {}) =>
  fetch(base + path, { method: "POST", body, headers: { "content-type": type, ...headers } });

describe("createHttpApp", () => {
  it("routes by method and path and decodes parameters", async () => {
    const res = await fetch(`${base}/things/a%20b?q=1`);
    expect(res.status).toBe(200);
    expect((await res.json()) as any).toEqual({ id: "a b", q: "1" });
  });

  it("answers an unknown path with a 404 problem and a wrong method with 405", async () => {
    const missing = await fetch(`${base}/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(((await missing.json()) as any).code).toBe("NOT_FOUND");
    expect((await fetch(`${base}/things/1`, { method: "PUT" })).status).toBe(405);
  });

  it("names the body as the field of malformed JSON", async () => {
    const res = await post("/things", "{oops");
    expect(res.status).toBe(400);
    const problem = (await res.json()) as any;
    expect(problem.errors[0].field).toBe("body");
    expect(problem.errors[0].reason).toMatch(/^malformed JSON/);
  });

  it("refuses a body over the limit with 413 and a wrong content type with 415", async () => {
    expect((await post("/things", JSON.stringify({ x: "y".repeat(100) }))).status).toBe(413);
    const wrong = await post("/things", "a=b", "text/plain");
    expect(wrong.status).toBe(415);
    expect(((await wrong.json()) as any).errors[0].field).toBe("content-type");
  });

  it("runs the guard before reading a body", async () => {
    expect((await post("/things", "{}", "application/json", { "x-api-key": "bad" })).status).toBe(401);
    expect((await post("/things", '{"a":1}')).status).toBe(201);
  });

  it("lets a route take no body when it says the body is optional", async () => {
    const res = await fetch(`${base}/things/1`, { method: "DELETE" });
    expect((await res.json()) as any).toEqual({ body: null });
  });

  it("answers a publish not sent with 503 UNAVAILABLE and one in doubt with 504 PUBLISH_IN_DOUBT, both with Retry-After", async () => {
    for (const [outcome, status, code] of [
      ["not-sent", 503, "UNAVAILABLE"],
      ["in-doubt", 504, "PUBLISH_IN_DOUBT"],
    ] as const) {
      const res = await fetch(`${base}/publish/${outcome}`);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(((await res.json()) as { code: string }).code).toBe(code);
    }
  });

  it("reports readiness per check and serves metrics", async () => {
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect((await ready.json()) as any).toEqual({
      status: "not ready",
      checks: { always: true, never: false },
    });
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('http_server_requests_total{method="GET",route="/things/:id",status="200"');
  });
});

describe("createHttpApp at the door", () => {
  const metrics = createMetrics("door");
  const door = createHttpApp({
    logger: createLogger({ service: "door", level: "silent" }),
    metrics,
    tracer: trace.getTracer("door"),
    apiKeys: parseApiKeys("writer:write,reader:read,all"),
    limits: { requestTimeoutMs: 4000, headersTimeoutMs: 2000, keepAliveTimeoutMs: 1000, maxConnections: 50 },
    routes: [
      {
        method: "POST",
        path: "/w/:id",
        accepts: ["application/json"],
        scope: "write",
        ifMatch: true,
        handler: ({ params, body }) => ({ status: 202, body: { id: params.id, body } }),
      },
      {
        method: "GET",
        path: "/r/:id",
        scope: "read",
        handler: ({ params }) => ({ status: 200, body: params }),
      },
      {
        method: "GET",
        path: "/open",
        handler: ({ query }) => ({ status: 200, body: { q: query.get("q") } }),
      },
    ],
  });
  let url = "";
  beforeAll(async () => {
    await new Promise<void>((r) => door.server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(door.server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => door.server.close(() => r())));
  const send = (path: string, init: RequestInit = {}) => fetch(url + path, init);
  const write = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
    send("/w/1", {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "x-api-key": "writer", ...headers },
    });

  it("applies the configured server limits", () => {
    expect(door.server.requestTimeout).toBe(4000);
    expect(door.server.headersTimeout).toBe(2000);
    expect(door.server.keepAliveTimeout).toBe(1000);
    expect(door.server.maxConnections).toBe(50);
  });

  it("asks each route's scope: 401 without a key, 403 without the scope, the answer with it", async () => {
    const none = await send("/r/1");
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toBe("application/problem+json");
    expect(((await none.json()) as any).requiredScope).toBe("read");
    const wrong = await send("/r/1", { headers: { "x-api-key": "writer" } });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as any).errors[0].field).toBe("X-API-Key");
    expect((await send("/r/1", { headers: { "x-api-key": "reader" } })).status).toBe(200);
    expect((await send("/r/1", { headers: { "x-api-key": "all" } })).status).toBe(200);
    expect((await send("/open")).status).toBe(200);
  });

  it("answers undecodable path and query parameters with a 400 naming them, never a 500", async () => {
    for (const [path, field] of [
      ["/r/%ff", "id"],
      ["/r/%E0%A4%A", "id"],
      ["/r/a%00b", "id"],
      ["/open?q=%00", "q"],
      ["/open?q=%ff", "q"],
    ] as const) {
      const res = await send(path, { headers: { "x-api-key": "reader" } });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as any).errors[0].field, path).toBe(field);
    }
  });

  it("refuses bad bodies: invalid UTF-8, another charset, NUL, deep nesting, numbers that do not fit", async () => {
    const cases: [string | Uint8Array, Record<string, string>, number, string][] = [
      [Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), {}, 400, "body"],
      ['{"a":"b"}', { "content-type": "application/json; charset=iso-8859-1" }, 415, "content-type"],
      ['{"data":{"reason":"\\u0000"}}', {}, 400, "/data/reason"],
      ['{"a":"\\ud800"}', {}, 400, "/a"],
      ["[".repeat(20_000) + "]".repeat(20_000), {}, 400, "body"],
      ['{"n":1e400}', {}, 400, "/n"],
      ['{"n":99999999999999999999}', {}, 400, "/n"],
      ["null", { "if-match": "0x10" }, 400, "If-Match"],
    ];
    for (const [body, headers, status, field] of cases) {
      const res = await write(body, headers);
      expect(res.status, field).toBe(status);
      expect(
        ((await res.json()) as any).errors.map((e: any) => e.field),
        field,
      ).toContain(field);
    }
    expect((await write('{"ok":"é"}', { "if-match": "3" })).status).toBe(202);
  });

  it("refuses If-Match where a route takes no expected version", async () => {
    const res = await send("/open", { headers: { "if-match": "1" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0].field).toBe("If-Match");
  });

  it("labels a 405 with the route pattern, never the raw path", async () => {
    const res = await send("/r/some-raw-id-123", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    await send("/nowhere/at/all");
    const text = await metrics.registry.metrics();
    expect(text).toContain('route="/r/:id",status="405"');
    expect(text).toContain('route="unmatched",status="404"');
    expect(text).not.toContain("some-raw-id-123");
  });
});
