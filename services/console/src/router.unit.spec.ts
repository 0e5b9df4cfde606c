import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@eventscope/platform";
import { readConsoleConfig } from "./config.ts";
import { createConsoleRouter, type ConsoleRouter } from "./router.ts";

// The router's input checks, with every upstream pointed at a recorder: a refused request must
// answer a 400 problem naming the field and reach no upstream at all.
const seen: { url: string; key: string | undefined }[] = [];
let upstream: Server;
let consoleServer: Server;
let router: ConsoleRouter;
let base = "";

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push({ url: req.url ?? "", key: req.headers["x-api-key"] as string | undefined });
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ count: 0, events: [], deliveries: [] }));
  });
  const at = `http://127.0.0.1:${await listen(upstream)}`;
  const config = readConsoleConfig(
    {},
    {
      eventStoreUrl: at,
      projectionUrl: at,
      notificationUrl: at,
      processManagerUrl: at,
      prometheusUrl: at,
      jaegerUrl: at,
      kafkaBrokers: ["127.0.0.1:1"],
      upstreamTimeoutMs: 1000,
    },
  );
  router = createConsoleRouter({
    config,
    logger: createLogger({ service: "console-test", level: "silent" }),
  });
  const app = express();
  app.use("/console", router);
  consoleServer = createServer(app);
  base = `http://127.0.0.1:${await listen(consoleServer)}/console`;
});

afterAll(async () => {
  await router.close();
  consoleServer.close();
  upstream.close();
});

async function problem(path: string, init: RequestInit = {}) {
  const before = seen.length;
  const res = await fetch(base + path, init);
  const body: any = await res.json();
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    body,
    upstreamCalls: seen.length - before,
  };
}

describe("console API input", () => {
  const refused: [string, string, RequestInit?][] = [
    ["/api/search?eventId=not-a-uuid", "eventId"],
    ["/api/search?eventId=%00", "eventId"],
    ["/api/search?userId=a%00b", "userId"],
    ["/api/search?correlationId=" + "x".repeat(300), "correlationId"],
    ["/api/search?aggregateType=Order%2F..&aggregateId=1", "aggregateType"],
    ["/api/search?userId=u&evil=1", "evil"],
    ["/api/search", "query"],
    ["/api/events/..%2F..%2Fadmin/journey", "eventId"],
    ["/api/kafka/topics?all=yes", "all"],
    ["/api/kafka/topics/events.committed/partitions/99999999999/messages", "partition"],
    ["/api/kafka/topics/a%20b/partitions/0/messages", "topic"],
    ["/api/kafka/topics/events.committed/partitions/0/messages?offset=1e308", "offset"],
    ["/api/kafka/topics/events.committed/partitions/0/messages?offset=99999999999999999999", "offset"],
    ["/api/kafka/topics/events.committed/partitions/0/messages?limit=100000", "limit"],
    ["/api/kafka/topics/events.committed/partitions/0/messages?offset=1&time=2026-01-01", "time"],
    ["/api/live?minutes=100000", "minutes"],
    ["/api/live?query=up", "query"],
    ["/api/dead-letters?limit=-1", "limit"],
    ["/api/dead-letters/producer/1/replay", "service", { method: "POST" }],
    ["/api/dead-letters/projection/1%20OR%201=1/replay", "id", { method: "POST" }],
    ["/reports/..%2F..%2Fetc/index.html", "runId"],
    ["/reports/run-1/secrets.txt", "file"],
    ["/api/search?eventId=%E0%A4%A", "eventId"],
    ["/api/search?userId=u", "X-API-Key", { headers: { "x-api-key": "k".repeat(600) } }],
  ];
  it.each(refused)("%s is a 400 naming %s, and nothing is sent upstream", async (path, field, init) => {
    const answer = await problem(path, init);
    expect(answer.status).toBe(400);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(answer.upstreamCalls).toBe(0);
  });

  it("sends a hostile id upstream only encoded, as one path segment, with the caller's key", async () => {
    const answer = await problem("/api/search?userId=..%2F..%2Fapi%2Fsubscriptions%3Fx%3D1", {
      headers: { "x-api-key": "eventscope-demo-key" },
    });
    expect(answer.status).toBe(200);
    const urls = seen.slice(-2);
    for (const s of urls) {
      expect(s.url).toMatch(/^\/api\/events\/user\/..%2F..%2Fapi%2Fsubscriptions%3Fx%3D1\?limit=/);
      expect(s.key).toBe("eventscope-demo-key");
    }
  });

  it("answers an unknown route with a 404 problem", async () => {
    const answer = await problem("/api/nothing");
    expect(answer.status).toBe(404);
    expect(answer.type).toMatch(/^application\/problem\+json/);
  });
});
