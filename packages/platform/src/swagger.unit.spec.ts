import { trace } from "@opentelemetry/api";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpApp, type HttpAppOptions, type Route } from "./http.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { serviceDocument } from "./swagger.ts";

const everyService = ["a", "b"];
const op = (tags: string[], id: string) => ({
  operationId: id,
  tags,
  servers: [{ url: "http://elsewhere" }],
});
// Two services in one document, as docs/openapi.yaml has five.
const document = {
  openapi: "3.1.0",
  info: { title: "Two services", version: "1" },
  servers: [{ url: "http://a" }, { url: "http://b" }],
  tags: [{ name: "a" }, { name: "b" }],
  paths: {
    "/health/live": { get: op(everyService, "live") },
    "/health/ready": { get: op(everyService, "ready") },
    "/metrics": { get: op(everyService, "metrics") },
    "/things/{id}": {
      parameters: [{ name: "id", in: "path", required: true }],
      get: op(["a"], "getThing"),
      delete: op(["b"], "deleteThing"),
    },
    "/things": { post: op(["a"], "postThing") },
    "/others": { get: op(["b"], "others") },
  },
  components: { schemas: { Thing: { type: "object" } } },
};

const routes: Route[] = [
  { method: "GET", path: "/things/:id", handler: () => ({ status: 200 }) },
  { method: "POST", path: "/things", accepts: ["application/json"], handler: () => ({ status: 201 }) },
];

function start(openApi: HttpAppOptions["openApi"]) {
  const { server } = createHttpApp({
    logger: createLogger({ service: "a", level: "silent" }),
    metrics: createMetrics("a"),
    tracer: trace.getTracer("a"),
    openApi,
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
  return (path: string) => fetch(base + path);
}

const operations = (doc: any): string[] =>
  Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((k) => k !== "parameters")
      .map((method) => `${method.toUpperCase()} ${path}`),
  );

describe("a service's own OpenAPI document and Swagger UI", () => {
  const get = start(document);

  it("/openapi.json lists exactly the routes the service answers, with itself as the server", async () => {
    const res = await get("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const doc = (await res.json()) as any;
    expect(operations(doc).sort()).toEqual(
      ["GET /health/live", "GET /health/ready", "GET /metrics", "GET /things/{id}", "POST /things"].sort(),
    );
    expect(doc.servers).toEqual([{ url: "/", description: "a (this service)" }]);
    expect(doc.paths["/things/{id}"].get.servers).toBeUndefined();
    expect(doc.paths["/things/{id}"].parameters).toHaveLength(1);
    expect(doc.paths["/health/live"].get.tags).toEqual(["a"]);
    expect(doc.tags).toEqual([{ name: "a" }]);
    expect(doc.info.title).toBe("Two services: a");
    expect(doc.components.schemas.Thing).toBeDefined();
  });

  it("/swagger answers the page, its script and the swagger-ui-dist assets, all from this origin", async () => {
    const page = await get("/swagger");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<div id="swagger-ui"></div>');
    expect(html).not.toMatch(/https?:\/\//);
    expect(await (await get("/swagger/initializer.js")).text()).toContain('url: "/openapi.json"');
    expect((await get("/swagger/swagger-ui-bundle.js")).status).toBe(200);
    const missing = await get("/swagger/no-such-file.js");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(await missing.text()).not.toContain("node_modules");
  });
});

describe("a service without a document", () => {
  const get = start("/nonexistent/openapi.yaml");

  it("still starts, and /openapi.json is a 404 problem", async () => {
    const res = await get("/openapi.json");
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).code).toBe("NOT_FOUND");
    expect((await get("/health/live")).status).toBe(200);
  });
});

describe("serviceDocument", () => {
  it("keeps a path only for the methods the table has, and nothing of another service", () => {
    const doc = serviceDocument(document, [{ method: "DELETE", path: "/things/:id" }]);
    expect(operations(doc)).toEqual(["DELETE /things/{id}"]);
    expect(doc.tags).toEqual([{ name: "b" }]);
    expect(document.paths["/things/{id}"].get.servers).toHaveLength(1);
  });
});
