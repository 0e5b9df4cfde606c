import { trace } from "@opentelemetry/api";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseApiKeys } from "./api-keys.ts";
import { createHttpApp, type Route } from "./http.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";

const routes: Route[] = [
  {
    method: "POST",
    path: "/w",
    scope: "write",
    accepts: ["application/json"],
    handler: ({ body }) => ({ status: 202, body }),
  },
  { method: "DELETE", path: "/w/:id", scope: "write", handler: () => ({ status: 204 }) },
  { method: "GET", path: "/r", scope: "read", handler: () => ({ status: 200, body: { ok: true } }) },
];

function start(apiKeys: string, writesPerMinute: number) {
  const { server } = createHttpApp({
    logger: createLogger({ service: "limit", level: "silent" }),
    metrics: createMetrics("limit"),
    tracer: trace.getTracer("limit"),
    apiKeys: parseApiKeys(apiKeys),
    rateLimit: { writesPerMinute },
    openApi: false,
    routes,
  });
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    await closed;
  });
  return (path: string, init: RequestInit = {}) => fetch(base + path, init);
}

const write = (key?: string): RequestInit => ({
  method: "POST",
  body: "{}",
  headers: { "content-type": "application/json", ...(key ? { "x-api-key": key } : {}) },
});

describe("the write limit per API key (5 a minute)", () => {
  const send = start("alice:write+read,bob:write+read", 5);

  it("answers the 6th write with a 429 problem and Retry-After; reads and other keys go on", async () => {
    for (let i = 1; i <= 5; i++) expect((await send("/w", write("alice"))).status, `write ${i}`).toBe(202);
    const refused = await send("/w", write("alice"));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const problem = (await refused.json()) as any;
    expect(problem).toMatchObject({
      status: 429,
      code: "RATE_LIMITED",
      title: "Too Many Requests",
      limit: 5,
    });
    expect(problem.errors[0].field).toBe("X-API-Key");
    // Every write route shares the key's budget; reads are not counted.
    expect((await send("/w/1", { method: "DELETE", headers: { "x-api-key": "alice" } })).status).toBe(429);
    for (let i = 0; i < 8; i++)
      expect((await send("/r", { headers: { "x-api-key": "alice" } })).status, `read ${i}`).toBe(200);
    expect((await send("/w", write("bob"))).status).toBe(202);
  });

  it("refuses an unknown key with 401 before it counts against anyone", async () => {
    for (let i = 0; i < 7; i++) expect((await send("/w", write("mallory"))).status).toBe(401);
    for (let i = 0; i < 4; i++) expect((await send("/w", write("bob"))).status).toBe(202);
  });
});

describe("the write limit without keys", () => {
  const send = start("", 2);

  it("counts by client address", async () => {
    expect((await send("/w", write())).status).toBe(202);
    expect((await send("/w", write("anything"))).status).toBe(202);
    const refused = await send("/w", write());
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).errors[0].field).toBe("client address");
  });
});

describe("no write limit (0, the default)", () => {
  const send = start("alice", 0);

  it("lets every write through and sets no rate-limit header", async () => {
    for (let i = 0; i < 12; i++) {
      const res = await send("/w", write("alice"));
      expect(res.status).toBe(202);
      expect(res.headers.get("ratelimit")).toBeNull();
    }
  });
});
