// The gateway in front of stand-in upstreams on loopback (plain node:http servers that say
// who they are and what they received): every operation docs/openapi.yaml documents reaches the
// service it names, headers and bodies pass untouched, and a missing or silent upstream is a
// quick problem+json answer.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createLogger, createMetrics, trace } from "@eventscope/platform";
import { createGatewayApp, type GatewayApp } from "./app.ts";
import { readOpenApi } from "./openapi.ts";
import { routesFromOpenApi, upstreamNames, type Upstream } from "./routes.ts";

const openApiFile = fileURLToPath(new URL("../../../docs/openapi.yaml", import.meta.url));
const document = await readOpenApi(openApiFile);

interface Seen {
  upstream: Upstream;
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  bytes: number;
  sha256: string;
}

function standIn(name: Upstream, behave?: (req: IncomingMessage, res: ServerResponse) => boolean): Server {
  return createServer((req, res) => {
    if (behave?.(req, res)) return;
    if (req.url === "/health/ready") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ready"}');
      return;
    }
    const hash = createHash("sha256");
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on("end", () => {
      const seen: Seen = {
        upstream: name,
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        bytes,
        sha256: hash.digest("hex"),
      };
      res
        .writeHead(200, { "content-type": "application/json", "x-upstream": name })
        .end(JSON.stringify(seen));
    });
  });
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const closed: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closed) await close();
});

async function startGateway(upstreams: Record<Upstream, string>, upstreamTimeoutMs = 5000) {
  const gateway: GatewayApp = createGatewayApp({
    document,
    upstreams,
    logger: createLogger({ service: "gateway", level: "silent" }),
    metrics: createMetrics("gateway"),
    tracer: trace.getTracer("gateway"),
    upstreamTimeoutMs,
    readyTimeoutMs: 500,
  });
  const url = await listen(gateway.server);
  closed.push(async () => {
    gateway.close();
    gateway.server.closeAllConnections();
    await new Promise<void>((r) => gateway.server.close(() => r()));
  });
  return { ...gateway, url };
}

const standIns = upstreamNames.map((name) =>
  standIn(name, (req, res) => {
    if (req.url?.startsWith("/api/eventstore/events/redirect")) {
      res.writeHead(302, { location: "http://127.0.0.1:9/elsewhere" }).end();
      return true;
    }
    return false;
  }),
);
let gateway: Awaited<ReturnType<typeof startGateway>>;
let upstreams: Record<Upstream, string>;

beforeAll(async () => {
  const urls = await Promise.all(standIns.map(listen));
  upstreams = Object.fromEntries(upstreamNames.map((n, i) => [n, urls[i]!])) as Record<Upstream, string>;
  closed.push(async () => {
    for (const s of standIns) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
  gateway = await startGateway(upstreams);
});

/** A concrete path for a documented template. */
const sample = (template: string) => template.replace(/\{([^}]+)\}/g, (_, name: string) => `${name}-1`);

const methods = ["get", "put", "post", "delete", "patch"];

describe("the routing table comes from docs/openapi.yaml", () => {
  it("reaches, for every operation one service answers, that service with the method and path as sent", async () => {
    let checked = 0;
    const wrong: string[] = [];
    for (const [path, item] of Object.entries(document.paths as Record<string, any>)) {
      for (const method of methods) {
        const op = item[method];
        if (!op || op.tags.length !== 1) continue;
        const url = `${sample(path)}?probe=1`;
        const res = await fetch(gateway.url + url, {
          method: method.toUpperCase(),
          headers: { "x-api-key": "eventscope-demo-key" },
        });
        const seen = (await res.json()) as Seen;
        checked++;
        if (res.status !== 200 || seen.upstream !== op.tags[0] || seen.method !== method.toUpperCase())
          wrong.push(`${method.toUpperCase()} ${path}: ${res.status} from ${seen.upstream}`);
        else if (seen.url !== url) wrong.push(`${method.toUpperCase()} ${path}: arrived as ${seen.url}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(routesFromOpenApi(document).length);
    expect(checked).toBeGreaterThan(60);
  });

  it("serves the seeds' routes, choosing the service by method where a path is on two", async () => {
    const expected: [string, string, Upstream][] = [
      ["POST", "/api/events", "producer"],
      ["GET", "/api/events", "projection"],
      ["GET", "/api/events/user/user123", "projection"],
      ["GET", "/api/events/type/login", "projection"],
      ["POST", "/customer", "producer"],
      ["GET", "/customer/c-1", "projection"],
      ["POST", "/customer/c-1/email", "producer"],
      ["DELETE", "/customer/c-1", "producer"],
      ["POST", "/api/tasks", "producer"],
      ["PUT", "/api/tasks/t-1", "producer"],
      ["POST", "/api/tasks/t-1/complete", "producer"],
      ["GET", "/api/tasks/t-1", "projection"],
      ["POST", "/api/orders", "producer"],
      ["POST", "/api/orders/o-1/ship", "producer"],
      ["GET", "/api/orders/o-1", "projection"],
      ["GET", "/api/eventstore/replay/Order/order-123?fromDate=2025-01-01", "event-store"],
      ["GET", "/api/projections", "projection"],
      ["POST", "/api/subscriptions", "notification"],
      ["GET", "/api/deliveries", "notification"],
    ];
    for (const [method, path, upstream] of expected) {
      const res = await fetch(gateway.url + path, { method });
      expect(res.headers.get("x-upstream"), `${method} ${path}`).toBe(upstream);
    }
  });

  it("answers an undocumented path with a 404 problem and a wrong method with 405 and Allow", async () => {
    const missing = await fetch(`${gateway.url}/api/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await missing.json()).toMatchObject({ status: 404, code: "NOT_FOUND" });
    const wrong = await fetch(`${gateway.url}/api/events`, { method: "PUT" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, POST");
    expect(await wrong.json()).toMatchObject({ status: 405, code: "METHOD_NOT_ALLOWED" });
  });

  it("proxies nowhere but its upstreams: an absolute URL or a climbing path is not routed", async () => {
    const target = new URL(upstreams.producer);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(gateway.url).port), "127.0.0.1");
      let answer = "";
      socket.on("data", (d) => (answer += d.toString()));
      socket.on("end", () => resolve(answer));
      socket.on("error", reject);
      socket.write(
        `GET http://${target.host}/api/events HTTP/1.1\r\nhost: ${target.host}\r\nconnection: close\r\n\r\n`,
      );
    });
    expect(raw).toMatch(/^HTTP\/1\.1 404 /);
    expect(raw).not.toContain("x-upstream");
    const climbing = await fetch(`${gateway.url}/api/events/user/..%2F..`);
    expect(climbing.headers.get("x-upstream")).toBe("projection"); // one segment, still the projection's
    const dots = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(gateway.url).port), "127.0.0.1");
      let answer = "";
      socket.on("data", (d) => (answer += d.toString()));
      socket.on("end", () => resolve(answer));
      socket.write("GET /customer/.. HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    });
    expect(dots).toMatch(/^HTTP\/1\.1 404 /);
  });
});

describe("what passes through", () => {
  it("keeps the headers the services read (API key, Idempotency-Key, If-Match, traceparent)", async () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const res = await fetch(`${gateway.url}/api/tasks/t-1`, {
      method: "PUT",
      headers: {
        "x-api-key": "eventscope-demo-key",
        "idempotency-key": "k-1",
        "if-match": "3",
        traceparent,
        "content-type": "application/json",
      },
      body: '{"title":"x"}',
    });
    const seen = (await res.json()) as Seen;
    expect(seen.headers).toMatchObject({
      "x-api-key": "eventscope-demo-key",
      "idempotency-key": "k-1",
      "if-match": "3",
      "content-type": "application/json",
    });
    // The same trace (the gateway's span sits between when telemetry is on).
    expect(String(seen.headers.traceparent).split("-")[1]).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("streams a body as sent, byte for byte, whatever its size (limits are the services')", async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, "eventscope,");
    const res = await fetch(`${gateway.url}/api/events/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const seen = (await res.json()) as Seen;
    expect(seen.bytes).toBe(body.length);
    expect(seen.sha256).toBe(createHash("sha256").update(body).digest("hex"));
    // A chunked body (no content-length) streams too.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"a":'));
        c.enqueue(new TextEncoder().encode("1}"));
        c.close();
      },
    });
    const chunked = await fetch(`${gateway.url}/api/events`, {
      method: "POST",
      body: chunks,
      duplex: "half",
    });
    expect(((await chunked.json()) as Seen).bytes).toBe(7);
  });

  it("hands a redirect to the client as it is, never following it", async () => {
    const res = await fetch(`${gateway.url}/api/eventstore/events/redirect-me`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://127.0.0.1:9/elsewhere");
  });
});

describe("when an upstream is missing or silent", () => {
  it("answers 503 problem+json with Retry-After at once when the service is not listening", async () => {
    const nothing = createServer();
    const url = await listen(nothing);
    await new Promise<void>((r) => nothing.close(() => r())); // the port is free again: refused
    const alone = await startGateway({ ...upstreams, producer: url });
    const started = Date.now();
    const res = await fetch(`${alone.url}/api/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({
      status: 503,
      code: "UPSTREAM_UNAVAILABLE",
      upstream: "producer",
    });
    // The other services are still served, and readiness names the missing one.
    expect((await fetch(`${alone.url}/api/events`)).headers.get("x-upstream")).toBe("projection");
    const ready = await fetch(`${alone.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: "not ready",
      checks: { producer: false, "event-store": true, projection: true, notification: true },
    });
  });

  it("answers 504 problem+json when the service stays silent past the timeout", async () => {
    const silent = standIn("producer", () => true); // takes the request, never answers
    const url = await listen(silent);
    closed.push(async () => {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    });
    const alone = await startGateway({ ...upstreams, producer: url }, 300);
    const started = Date.now();
    const res = await fetch(`${alone.url}/customer`, { method: "POST", body: "{}" });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({
      status: 504,
      title: "Gateway Timeout",
      code: "UPSTREAM_TIMEOUT",
    });
  });
});

describe("its own routes", () => {
  it("is live and ready when every upstream is ready, and counts requests by route", async () => {
    expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${gateway.url}/health/ready`);
    expect(ready.status).toBe(200);
    await fetch(`${gateway.url}/customer/c-42`);
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(/http_server_requests_total\{[^}]*route="\/customer\/:id"[^}]*status="200"/);
    expect(text).not.toContain("c-42");
  });

  it("serves the document with itself as the server, as JSON and YAML", async () => {
    const json = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as Record<string, any>;
    const yaml = parse(await (await fetch(`${gateway.url}/openapi.yaml`)).text()) as Record<string, any>;
    expect(yaml).toEqual(json);
    expect(json.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    expect(json.paths["/api/events"].post.servers).toBeUndefined();
    expect(json.paths["/api/events"].get.servers).toBeUndefined();
    // Every service the document names is one the gateway proxies to.
    expect(upstreamNames).toEqual(expect.arrayContaining(json.tags.map((t: { name: string }) => t.name)));
    expect(Object.keys(json.paths)).toEqual(Object.keys(document.paths));
  });

  it("serves Swagger UI from its own files, nothing from elsewhere", async () => {
    for (const path of ["/swagger", "/swagger/"]) {
      const page = await fetch(gateway.url + path, { redirect: "manual" });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('src="/swagger/swagger-ui-bundle.js"');
      expect(html).not.toMatch(/https?:\/\//);
    }
    const bundle = await fetch(`${gateway.url}/swagger/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/javascript/);
    const init = await (await fetch(`${gateway.url}/swagger/initializer.js`)).text();
    expect(init).toContain('url: "/openapi.json"');
    expect(init).toContain("validatorUrl: null");
    const missing = await fetch(`${gateway.url}/swagger/nothing.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
});

describe("apps mounted on the gateway (the console at /console)", () => {
  it("serves a mounted app under its path, redirects the bare path, and routes the rest as before", async () => {
    const mounted = createGatewayApp({
      document,
      upstreams,
      logger: createLogger({ service: "gateway", level: "silent" }),
      metrics: createMetrics("gateway"),
      tracer: trace.getTracer("gateway"),
      upstreamTimeoutMs: 5000,
      mounts: [
        {
          path: "/console",
          handler: (req, res) => {
            res.json({ mounted: true, url: req.url });
          },
        },
      ],
    });
    const url = await listen(mounted.server);
    closed.push(async () => {
      mounted.close();
      mounted.server.closeAllConnections();
      await new Promise<void>((r) => mounted.server.close(() => r()));
    });
    const bare = await fetch(`${url}/console`, { redirect: "manual" });
    expect(bare.status).toBe(301);
    expect(bare.headers.get("location")).toBe("/console/");
    expect(await (await fetch(`${url}/console/api/kafka/topics?all=true`)).json()).toEqual({
      mounted: true,
      url: "/api/kafka/topics?all=true",
    });
    const proxied = await fetch(`${url}/api/eventstore/stats`);
    expect(proxied.headers.get("x-upstream")).toBe("event-store");
    expect((await fetch(`${url}/consoles`)).status).toBe(404);
  });
});
