import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { RPCType, W3CTraceContextPropagator, setRPCMetadata, type RPCMetadata } from "@opentelemetry/core";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpApp } from "./http.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { ATTR_EVENT_ID, ATTR_HTTP_ROUTE } from "./semconv.ts";

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const exporter = new InMemorySpanExporter();
const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer("t");
const metrics = createMetrics("observe");
const seen: { traceId?: string } = {};

const { app } = createHttpApp({
  logger: createLogger({ service: "observe", level: "silent" }),
  metrics,
  openApi: false,
  routes: [
    {
      method: "POST",
      path: "/w/:id",
      accepts: ["application/json"],
      handler: ({ params }) => {
        // After a body read from the socket: still in the request's trace.
        seen.traceId = trace.getActiveSpan()?.spanContext().traceId;
        return { status: 202, body: { eventId: `event-${params.id}` } };
      },
    },
  ],
});

// What @opentelemetry/instrumentation-http does around the app: a server span as the request's
// context with the RPC metadata express's instrumentation fills, ended (and named) on close.
const server = createServer((req, res) => {
  const span = tracer.startSpan(
    req.method ?? "GET",
    { kind: SpanKind.SERVER },
    propagation.extract(ROOT_CONTEXT, req.headers),
  );
  const rpc: RPCMetadata = { type: RPCType.HTTP, span };
  res.once("close", () => {
    if (rpc.route) span.updateName(`${req.method} ${rpc.route}`);
    span.end();
  });
  context.with(setRPCMetadata(trace.setSpan(ROOT_CONTEXT, span), rpc), () => app(req, res));
});
let base = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const lastSpan = async () => {
  await new Promise((r) => setTimeout(r, 20));
  return exporter.getFinishedSpans().at(-1)!;
};

describe("the HTTP layer under the HTTP instrumentation's server span", () => {
  it("names the span by the route, puts the event on it and answers its traceparent", async () => {
    const client = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const res = await fetch(`${base}/w/7`, {
      method: "POST",
      body: '{"a":1}',
      headers: { "content-type": "application/json", traceparent: client },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("traceparent")).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(seen.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    const span = await lastSpan();
    expect(span.name).toBe("POST /w/:id");
    expect(span.attributes[ATTR_HTTP_ROUTE]).toBe("/w/:id");
    expect(span.attributes[ATTR_EVENT_ID]).toBe("event-7");
    expect(await metrics.registry.metrics()).toMatch(
      /http_server_request_duration_seconds_bucket\{[^}]*route="\/w\/:id"[^}]*\} \d+ # \{trace_id="0af7651916cd43dd8448eb211c80319c"\}/,
    );
  });

  it("names a 405 by the pattern the path belongs to, and leaves a 404 without a route", async () => {
    expect((await fetch(`${base}/w/raw-id-1`, { method: "DELETE" })).status).toBe(405);
    const refused = await lastSpan();
    expect(refused.name).toBe("DELETE /w/:id");
    expect(refused.attributes[ATTR_HTTP_ROUTE]).toBe("/w/:id");
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    const unknown = await lastSpan();
    expect(unknown.name).toBe("GET");
    expect(unknown.attributes[ATTR_HTTP_ROUTE]).toBeUndefined();
  });
});
