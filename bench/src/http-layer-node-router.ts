// The HTTP layer as it was before express (a router written on node:http, copied from
// packages/platform/src/http.ts at 16aeeb0), kept only for the http-layer benchmark to compare
// against: the same route tables, the same answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Tracer } from "@opentelemetry/api";
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  applyServerLimits,
  checkCharset,
  context,
  createKeyring,
  decodeComponent,
  decodeUtf8,
  extractContext,
  failSpan,
  ifMatchVersion,
  methodNotAllowed,
  notFound,
  parseQuery,
  parseStrictJson,
  payloadTooLarge,
  SpanKind,
  toProblem,
  trace,
  traceHeaders,
  unsupportedMediaType,
  validationError,
  type HttpResult,
  type Logger,
  type Metrics,
  type Scope,
  type RequestContext,
  type Route,
  type ServerLimits,
  type ApiKey,
} from "@eventscope/platform";

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
  /** Named readiness checks for /health/ready; a check may say why it fails (`detail`). */
  readiness?: Record<string, () => Promise<boolean | ReadinessResult> | boolean | ReadinessResult>;
  /** Called before a body route's handler; throw to refuse. */
  guard?: (request: RequestContext, route: Route) => void;
  /** Keys and their scopes (routes declare the scope they need); none means every route is open. */
  apiKeys?: ApiKey[];
  limits?: Partial<ServerLimits>;
  /** Deepest nesting of a JSON body. */
  jsonMaxDepth?: number;
}

/** A readiness check's answer with the reason it fails, e.g. the partitions that are stuck. */
export interface ReadinessResult {
  ready: boolean;
  detail?: unknown;
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

export interface NodeRouterApp {
  server: Server;
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Every route the app answers (method and path pattern), built-in ones included. */
  routes: { method: string; path: string; scope?: Scope }[];
}

export function createNodeRouterApp(options: HttpAppOptions): NodeRouterApp {
  const { logger, metrics, tracer } = options;
  const bodyLimit = options.bodyLimitBytes ?? 256 * 1024;
  const routes = [...builtinRoutes(options), ...options.routes].map(compile);
  const keyring = createKeyring(options.apiKeys ?? []);
  const jsonMaxDepth = options.jsonMaxDepth;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    let matched: CompiledRoute | undefined;
    let rawParams: string[] = [];
    // The metric and span label is always a route pattern (or "unmatched"): never the raw path.
    let pathMatched: CompiledRoute | undefined;
    const allowed: string[] = [];
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathMatched ??= route;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      matched = route;
      rawParams = m.slice(1);
      break;
    }
    const routeName = matched?.path ?? pathMatched?.path ?? "unmatched";
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
          if (pathMatched) throw methodNotAllowed(`${method} is not allowed on ${routeName}`, allowed);
          throw notFound(`no route for ${method} ${path.slice(0, 200)}`);
        }
        if (matched.scope) keyring.authorize(req.headers["x-api-key"], matched.scope);
        const params = Object.fromEntries(
          matched.keys.map((k, i) => [k, decodeComponent(rawParams[i] ?? "", k)]),
        );
        const query = parseQuery(q === -1 ? "" : url.slice(q + 1));
        const expectedVersion = matched.ifMatch ? ifMatchVersion(req.headers) : undefined;
        if (!matched.ifMatch && req.headers["if-match"] !== undefined) {
          throw validationError("If-Match is not supported on this route", [
            { field: "If-Match", reason: `${method} ${matched.path} takes no expected version` },
          ]);
        }
        const request: RequestContext = {
          method,
          path,
          route: matched.path,
          params,
          query,
          headers: req.headers,
          body: undefined,
          contentType: req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase(),
          expectedVersion,
          span,
        };
        if (matched.accepts) {
          options.guard?.(request, matched);
          const bodyless =
            req.headers["content-length"] === undefined || req.headers["content-length"] === "0"
              ? req.headers["transfer-encoding"] === undefined
              : false;
          if (!(matched.bodyOptional && bodyless)) {
            request.body = await readJsonBody(req, matched.accepts, bodyLimit, jsonMaxDepth);
          }
        }
        return await matched.handler(request);
      });
    } catch (error) {
      const body = toProblem(error, path.slice(0, 200));
      if (body.status >= 500) {
        failSpan(span, error);
        logger.error({ err: error, path, method }, "request failed");
      }
      const headers: Record<string, string> = {};
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
      const allow = (error as { extra?: { allowed?: string[] } }).extra?.allowed;
      if (body.status === 405 && allow) headers.allow = allow.join(", ");
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

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, "unhandled request error");
      if (!res.headersSent)
        res
          .writeHead(500, { "content-type": "application/problem+json" })
          .end(JSON.stringify(toProblem(error)));
    });
  });
  applyServerLimits(server, options.limits);
  if (!keyring.enabled && routes.some((r) => r.scope))
    logger.warn("API_KEYS is empty: every route is open, state changes included");
  return {
    server,
    handle,
    routes: routes.map((r) => ({ method: r.method, path: r.path, ...(r.scope ? { scope: r.scope } : {}) })),
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
  accepts: string[],
  limit: number,
  maxDepth: number | undefined,
): Promise<unknown> {
  const header = req.headers["content-type"];
  const contentType = header?.split(";")[0]?.trim().toLowerCase();
  if (!contentType || !accepts.includes(contentType)) throw unsupportedMediaType(contentType, accepts);
  checkCharset(header, accepts);
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw payloadTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw payloadTooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return parseStrictJson(decodeUtf8(Buffer.concat(chunks)), maxDepth);
}

function builtinRoutes(options: HttpAppOptions): Route[] {
  return [
    { method: "GET", path: "/health/live", handler: () => ({ status: 200, body: { status: "live" } }) },
    {
      method: "GET",
      path: "/health/ready",
      handler: async () => {
        const checks: Record<string, boolean> = {};
        const details: Record<string, unknown> = {};
        for (const [name, check] of Object.entries(options.readiness ?? {})) {
          const result = await Promise.resolve()
            .then(check)
            .catch(() => false);
          checks[name] = typeof result === "boolean" ? result : result.ready;
          if (typeof result !== "boolean" && !result.ready) details[name] = result.detail;
        }
        const ready = Object.values(checks).every(Boolean);
        const body = { status: ready ? "ready" : "not ready", checks };
        return {
          status: ready ? 200 : 503,
          body: Object.keys(details).length > 0 ? { ...body, details } : body,
        };
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
