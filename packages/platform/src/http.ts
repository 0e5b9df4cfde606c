import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Tracer } from "@opentelemetry/api";
import { context, extractContext, failSpan, SpanKind, trace, traceHeaders, type Span } from "./telemetry.ts";
import { payloadTooLarge, toProblem, unsupportedMediaType, validationError, notFound } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from "./semconv.ts";

export interface RequestContext {
  method: string;
  path: string;
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  /** Parsed JSON body (routes that declare `accepts`). */
  body: unknown;
  contentType: string | undefined;
  span: Span;
}

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (request: RequestContext) => HttpResult | Promise<HttpResult>;

export interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  handler: Handler;
  /** Content types accepted for the body; a body is read and parsed only when set. */
  accepts?: string[];
  /** The body may be absent (e.g. DELETE or a bodiless command); parsed as undefined then. */
  bodyOptional?: boolean;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  keys: string[];
}

export interface HttpAppOptions {
  routes: Route[];
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  bodyLimitBytes?: number;
  /** Named readiness checks for /health/ready. */
  readiness?: Record<string, () => Promise<boolean> | boolean>;
  /** Called before a write route's handler; throw to refuse (e.g. API keys). */
  guard?: (request: RequestContext, route: Route) => void;
}

const json = "application/json";

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  const source = route.path.replace(/:([A-Za-z]+)/g, (_, key: string) => {
    keys.push(key);
    return "([^/]+)";
  });
  return { ...route, keys, pattern: new RegExp(`^${source}/?$`) };
}

/** A small router on node:http: JSON in and out, RFC 7807 errors, a server span and RED metrics. */
export interface HttpApp {
  server: Server;
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Every route the app answers (method and path pattern), built-in ones included. */
  routes: { method: string; path: string }[];
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { logger, metrics, tracer } = options;
  const bodyLimit = options.bodyLimitBytes ?? 256 * 1024;
  const routes = [...builtinRoutes(options), ...options.routes].map(compile);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    let matched: CompiledRoute | undefined;
    let params: Record<string, string> = {};
    let pathMatched = false;
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      matched = route;
      params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1] ?? "")]));
      break;
    }
    const routeName = matched?.path ?? (pathMatched ? path : "unmatched");
    const parent = extractContext(req.headers);
    const span = tracer.startSpan(
      `${method} ${routeName}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_PATH]: path,
          [ATTR_HTTP_ROUTE]: routeName,
        },
      },
      parent,
    );
    let result: HttpResult;
    try {
      result = await context.with(trace.setSpan(parent, span), async () => {
        if (!matched) {
          if (pathMatched)
            return problem({ status: 405, path, detail: `${method} is not allowed on ${path}` });
          throw notFound(`no route for ${method} ${path}`);
        }
        const request: RequestContext = {
          method,
          path,
          route: matched.path,
          params,
          query: new URLSearchParams(q === -1 ? "" : url.slice(q + 1)),
          headers: req.headers,
          body: undefined,
          contentType: req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase(),
          span,
        };
        if (matched.accepts) {
          options.guard?.(request, matched);
          const bodyless =
            req.headers["content-length"] === undefined || req.headers["content-length"] === "0"
              ? req.headers["transfer-encoding"] === undefined
              : false;
          if (!(matched.bodyOptional && bodyless)) {
            request.body = await readJsonBody(req, request.contentType, matched.accepts, bodyLimit);
          }
        }
        return await matched.handler(request);
      });
    } catch (error) {
      const body = toProblem(error, path);
      if (body.status >= 500) {
        failSpan(span, error);
        logger.error({ err: error, path, method }, "request failed");
      }
      const headers: Record<string, string> = {};
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
      result = { status: body.status, body, headers };
      // A refused body is not read: close the connection rather than drain it.
      if (body.status === 413) res.setHeader("connection", "close");
    }
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.status);
    send(res, result, traceHeaders(trace.setSpan(parent, span)).traceparent);
    span.end();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const labels = { method, route: routeName, status: String(result.status) };
    metrics.httpRequests.inc(labels);
    const traceId = span.spanContext().traceId;
    metrics.httpDuration.observe({ labels, value: seconds, exemplarLabels: { trace_id: traceId } });
  }

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, "unhandled request error");
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  return { server, handle, routes: routes.map((r) => ({ method: r.method, path: r.path })) };
}

function problem(p: { status: number; path: string; detail: string }): HttpResult {
  return {
    status: p.status,
    body: {
      type: "about:blank",
      title: "Method Not Allowed",
      status: p.status,
      detail: p.detail,
      instance: p.path,
    },
  };
}

function send(res: ServerResponse, result: HttpResult, traceparent: string | undefined): void {
  const headers: Record<string, string> = { ...result.headers };
  if (traceparent) headers.traceparent = traceparent;
  if (result.body === undefined) {
    res.writeHead(result.status, headers).end();
    return;
  }
  if (typeof result.body === "string") {
    headers["content-type"] ??= "text/plain; charset=utf-8";
    res.writeHead(result.status, headers).end(result.body);
    return;
  }
  headers["content-type"] ??= result.status >= 400 ? "application/problem+json" : json;
  res.writeHead(result.status, headers).end(JSON.stringify(result.body));
}

async function readJsonBody(
  req: IncomingMessage,
  contentType: string | undefined,
  accepts: string[],
  limit: number,
): Promise<unknown> {
  if (!contentType || !accepts.includes(contentType)) throw unsupportedMediaType(contentType, accepts);
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw payloadTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw payloadTooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "")
    throw validationError("request body is empty", [{ field: "body", reason: "required" }]);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw validationError("request body is not valid JSON", [
      { field: "body", reason: `malformed JSON: ${(error as Error).message}` },
    ]);
  }
}

function builtinRoutes(options: HttpAppOptions): Route[] {
  return [
    { method: "GET", path: "/health/live", handler: () => ({ status: 200, body: { status: "live" } }) },
    {
      method: "GET",
      path: "/health/ready",
      handler: async () => {
        const checks: Record<string, boolean> = {};
        for (const [name, check] of Object.entries(options.readiness ?? {})) {
          checks[name] = await Promise.resolve()
            .then(check)
            .catch(() => false);
        }
        const ready = Object.values(checks).every(Boolean);
        return { status: ready ? 200 : 503, body: { status: ready ? "ready" : "not ready", checks } };
      },
    },
    {
      method: "GET",
      path: "/metrics",
      handler: async () => ({
        status: 200,
        body: await options.metrics.registry.metrics(),
        headers: { "content-type": options.metrics.registry.contentType },
      }),
    },
  ];
}
