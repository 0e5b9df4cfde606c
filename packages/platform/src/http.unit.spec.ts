import { trace } from "@opentelemetry/api";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpApp } from "./http.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { unauthorized } from "./errors.ts";

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
