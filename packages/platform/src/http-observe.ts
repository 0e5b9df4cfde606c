// Each request's RED metrics, labelled with the route pattern (or "unmatched"), never the raw
// path, with the trace id as the duration's exemplar. The server span is the HTTP
// instrumentation's (instrumentations.ts): this layer only names its route and what the request
// was about (the event, the aggregate), and answers its traceparent.
import type { IncomingMessage } from "node:http";
import { INVALID_SPAN_CONTEXT } from "@opentelemetry/api";
import { getRPCMetadata } from "@opentelemetry/core";
import type { Request, RequestHandler } from "express";
import type { Metrics } from "./metrics.ts";
import { ATTR_AGGREGATE_ID, ATTR_EVENT_ID, ATTR_HTTP_ROUTE } from "./semconv.ts";
import { context, trace, traceHeaders, type Context, type Span } from "./telemetry.ts";

interface Exchange {
  span: Span;
  context: Context;
  /** Set where express's own route is not the label: 404, 405, documents, refused parameters. */
  route: string | undefined;
}

const exchanges = new WeakMap<IncomingMessage, Exchange>();
// Without the instrumentation (unit tests, OTEL_SDK_DISABLED) a request has no span: this one.
const noSpan = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The request's server span. */
export const spanOf = (req: IncomingMessage): Span => exchanges.get(req)?.span ?? noSpan;

/** The context a handler runs in: the server span's (a body read by a stream loses it). */
export const contextOf = (req: IncomingMessage): Context => exchanges.get(req)?.context ?? context.active();

/** Names the route a request is labelled with, where express's matched route does not say it. */
export function labelRoute(req: IncomingMessage, route: string): void {
  const exchange = exchanges.get(req);
  if (exchange) exchange.route = route;
}

/** The event and aggregate a request named or was answered with, on its span. */
export function describeRequest(span: Span, params: Record<string, string>, body: unknown): void {
  const answered = (body !== null && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const eventId = answered.eventId ?? params.eventId;
  if (typeof eventId === "string") span.setAttribute(ATTR_EVENT_ID, eventId);
  if (typeof answered.aggregateId === "string") span.setAttribute(ATTR_AGGREGATE_ID, answered.aggregateId);
}

export function observe(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const active = context.active();
    const span = trace.getSpan(active) ?? noSpan;
    const exchange: Exchange = { span, context: active, route: undefined };
    exchanges.set(req, exchange);
    // No span (telemetry off): no traceparent to answer, and no propagator to run.
    if (span !== noSpan) {
      const traceparent = traceHeaders(active).traceparent;
      if (traceparent) res.setHeader("traceparent", traceparent);
    }
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const route = exchange.route ?? routePath(req) ?? "unmatched";
      // Before the instrumentation ends the span (on close): it names the span by this route.
      const rpc = getRPCMetadata(active);
      if (rpc && route !== "unmatched") rpc.route = route;
      if (route !== "unmatched") span.setAttribute(ATTR_HTTP_ROUTE, route);
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe({
        labels,
        value: Number(process.hrtime.bigint() - started) / 1e9,
        exemplarLabels: { trace_id: span.spanContext().traceId },
      });
    };
    // `on`, not `once`: record runs once by its flag, without a wrapper per listener.
    res.on("finish", record);
    res.on("close", record);
    next();
  };
}

/** The pattern of the route express matched (set on the request when it dispatches into it). */
const routePath = (req: Request): string | undefined => (req.route as { path?: string } | undefined)?.path;
