import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Tracer } from "@opentelemetry/api";
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ProblemError,
  SpanKind,
  applyServerLimits,
  context,
  extractContext,
  failSpan,
  methodNotAllowed,
  notFound,
  toProblem,
  trace,
  traceHeaders,
  type Logger,
  type Context,
  type Metrics,
  type ServerLimits,
  type Span,
} from "@eventscope/platform";
import { gatewayDocument, serveDocument } from "./openapi.ts";
import { createUpstreamProxy, timedOut } from "./proxy.ts";
import { matchRoute, routesFromOpenApi, upstreamNames, type GatewayRoute, type Upstream } from "./routes.ts";
import { swaggerUi } from "./swagger.ts";

/** The upstream a request was proxied to, on the gateway's span. */
export const ATTR_GATEWAY_UPSTREAM = "eventscope.gateway.upstream";

export interface GatewayDeps {
  /** The OpenAPI document (parsed): the routing table and what /swagger shows. */
  document: Record<string, any>;
  upstreams: Record<Upstream, string>;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  upstreamTimeoutMs: number;
  upstreamMaxSockets?: number;
  readyTimeoutMs?: number;
  limits?: Partial<ServerLimits>;
  /** Apps the gateway serves itself under a path of their own (the console at /console). */
  mounts?: { path: string; handler: RequestHandler }[];
}

// Per request: the gateway's span and the label its metrics and span carry.
interface Exchange {
  span: Span;
  context: Context;
  method: string;
  route: string;
}
const exchanges = new WeakMap<IncomingMessage, Exchange>();
const upstreamOf = new WeakMap<IncomingMessage, Upstream>();

// Connection failures mean the service is not there (503, retry later); anything else that
// breaks the exchange is a bad gateway (502); silence past the timeout is 504.
const unreachable = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

function upstreamError(error: unknown, req: IncomingMessage, upstream: string): ProblemError {
  const code = (error as { code?: string }).code ?? "";
  if (timedOut.has(req))
    return new ProblemError(`${upstream} did not answer in time`, {
      code: "UPSTREAM_TIMEOUT",
      status: 504,
      retriable: true,
      extra: { upstream },
    });
  if (unreachable.has(code))
    return new ProblemError(`${upstream} is not reachable`, {
      code: "UPSTREAM_UNAVAILABLE",
      status: 503,
      retriable: true,
      retryAfterSeconds: 1,
      extra: { upstream },
    });
  return new ProblemError(`${upstream} broke off the exchange`, {
    code: "BAD_GATEWAY",
    status: 502,
    retriable: true,
    extra: { upstream },
  });
}

const titles: Record<number, string> = { 502: "Bad Gateway", 504: "Gateway Timeout" };

export function createGatewayApp(deps: GatewayDeps) {
  const { logger, metrics, tracer } = deps;
  const routes = routesFromOpenApi(deps.document);
  const served = serveDocument(gatewayDocument(deps.document));
  const proxies = Object.fromEntries(
    upstreamNames.map((name) => [
      name,
      createUpstreamProxy(deps.upstreams[name], {
        timeoutMs: deps.upstreamTimeoutMs,
        maxSockets: deps.upstreamMaxSockets ?? 256,
        onError: (error, req, res) => answerProblem(error, req, res),
      }),
    ]),
  ) as Record<Upstream, ReturnType<typeof createUpstreamProxy>>;

  // Named as soon as the route is known: the instrumentation may end its span before "close".
  const routeOf = (exchange: Exchange, route: string): void => {
    exchange.route = route;
    exchange.span.updateName(`${exchange.method} ${route}`);
    exchange.span.setAttribute(ATTR_HTTP_ROUTE, route);
  };
  // A server span per request (the client's traceparent as parent), RED metrics when it ends.
  const begin = (req: IncomingMessage, res: ServerResponse): Exchange => {
    const existing = exchanges.get(req);
    if (existing) return existing;
    const started = process.hrtime.bigint();
    const method = req.method ?? "GET";
    const path = ((req.url ?? "/").split("?")[0] ?? "/").slice(0, 200);
    // The http instrumentation's server span when the hook is loaded; one of our own otherwise.
    const instrumented = trace.getSpan(context.active());
    const parent = instrumented ? context.active() : extractContext(req.headers);
    const span =
      instrumented ??
      tracer.startSpan(
        method,
        { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: path } },
        parent,
      );
    const active = instrumented ? parent : trace.setSpan(parent, span);
    const exchange: Exchange = { span, context: active, method, route: "unmatched" };
    routeOf(exchange, "unmatched");
    exchanges.set(req, exchange);
    const own = traceHeaders(active).traceparent;
    if (own) res.setHeader("traceparent", own); // a proxied answer carries its service's instead
    res.once("close", () => {
      const status = res.statusCode;
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (!instrumented) span.end(); // the instrumentation ends its own
      const labels = { method, route: exchange.route, status: String(status) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe({
        labels,
        value: Number(process.hrtime.bigint() - started) / 1e9,
        exemplarLabels: { trace_id: span.spanContext().traceId },
      });
    });
    return exchange;
  };
  const observe: RequestHandler = (req, res, next) => {
    context.with(begin(req, res).context, next);
  };

  const own =
    (route: string, handler: RequestHandler): RequestHandler =>
    (req, res, next) => {
      const exchange = exchanges.get(req);
      if (exchange) routeOf(exchange, route);
      return handler(req, res, next);
    };

  const ready = async (): Promise<Record<Upstream, boolean>> => {
    const checks = await Promise.all(
      upstreamNames.map(async (name) => {
        try {
          const answer = await fetch(`${deps.upstreams[name]}/health/ready`, {
            redirect: "manual",
            signal: AbortSignal.timeout(deps.readyTimeoutMs ?? 2000),
          });
          await answer.body?.cancel();
          return [name, answer.status === 200] as const;
        } catch {
          return [name, false] as const;
        }
      }),
    );
    return Object.fromEntries(checks) as Record<Upstream, boolean>;
  };

  // Every documented route of a service goes to that service, with the trace continued.
  const proxy = (req: IncomingMessage, res: ServerResponse, route: GatewayRoute) => {
    const exchange = begin(req, res);
    routeOf(exchange, route.route);
    exchange.span.setAttribute(ATTR_GATEWAY_UPSTREAM, route.upstream);
    upstreamOf.set(req, route.upstream);
    // The service's span becomes a child of the gateway's.
    const carried = traceHeaders(exchange.context);
    if (carried.traceparent) {
      req.headers.traceparent = carried.traceparent;
      if (carried.tracestate) req.headers.tracestate = carried.tracestate;
      else delete req.headers.tracestate;
    }
    void proxies[route.upstream].handle(req, res, (error?: unknown) => {
      if (error) answerProblem(error, req, res);
    });
  };

  // What is not a documented route of a service: 404, or 405 with what the path allows.
  const refuse: RequestHandler = (req, res) => {
    const path = req.url.split("?")[0] ?? "";
    const match = matchRoute(routes, req.method, path);
    if (match.kind === "method") {
      routeOf(begin(req, res), match.route);
      throw methodNotAllowed(`${req.method} is not allowed on ${match.path}`, match.allowed);
    }
    throw notFound(`no route for ${req.method} ${path.slice(0, 200)}`);
  };

  const answerProblem = (error: unknown, req: IncomingMessage, res: ServerResponse) => {
    const exchange = exchanges.get(req);
    const url = (req.url ?? "/").slice(0, 200);
    const upstream = upstreamOf.get(req);
    const known =
      error instanceof ProblemError
        ? error
        : upstream
          ? upstreamError(error, req, upstream)
          : (error as { status?: number }).status === 404
            ? notFound(`no such file ${url}`)
            : error;
    const body = toProblem(known, url.split("?")[0]);
    if (body.status >= 500) {
      if (exchange) failSpan(exchange.span, error);
      logger.warn({ err: error, method: req.method, url, upstream }, body.detail as string);
    }
    // The upstream broke off after its answer had started: all the client can be told is a cut.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = { "content-type": "application/problem+json" };
    if (known instanceof ProblemError && known.retryAfterSeconds !== undefined)
      headers["retry-after"] = String(known.retryAfterSeconds);
    const allowed = (known as { extra?: { allowed?: string[] } }).extra?.allowed;
    if (body.status === 405 && allowed) headers.allow = allowed.join(", ");
    res
      .writeHead(body.status, headers)
      .end(JSON.stringify({ ...body, title: titles[body.status] ?? body.title }));
  };
  const problems: ErrorRequestHandler = (error, req, res, _next) => answerProblem(error, req, res);

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(observe);
  app.get(
    "/health/live",
    own("/health/live", (_req, res) => {
      res.json({ status: "live" });
    }),
  );
  app.get(
    "/health/ready",
    own("/health/ready", async (_req, res) => {
      const checks = await ready();
      const ok = Object.values(checks).every(Boolean);
      res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "not ready", checks });
    }),
  );
  app.get(
    "/metrics",
    own("/metrics", async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    }),
  );
  app.get(
    "/openapi.json",
    own("/openapi.json", (_req, res) => {
      res.type("json").send(served.json);
    }),
  );
  app.get(
    "/openapi.yaml",
    own("/openapi.yaml", (_req, res) => {
      res.type("application/yaml").send(served.yaml);
    }),
  );
  app.use("/swagger", own("/swagger", swaggerUi()));
  for (const m of deps.mounts ?? []) {
    // `/console` alone redirects to `/console/`, where the app's relative links resolve.
    app.get(
      m.path,
      own(m.path, (req, res, next) =>
        req.originalUrl === m.path ? res.redirect(301, `${m.path}/`) : next(),
      ),
    );
    app.use(m.path, own(m.path, m.handler));
  }
  app.use(refuse);
  app.use(problems);

  // A service's route goes straight to its proxy; express serves the rest (the gateway's own
  // pages, 404 and 405): its router has no work to do on the hot path.
  const server = createServer((req, res) => {
    const match = matchRoute(routes, req.method ?? "GET", (req.url ?? "/").split("?")[0] ?? "");
    if (match.kind === "route") proxy(req, res, match.route);
    else void app(req, res);
  });
  applyServerLimits(server, deps.limits);
  return {
    app,
    server,
    routes: routes.map((r: GatewayRoute) => ({ method: r.method, path: r.path, upstream: r.upstream })),
    close: () => Object.values(proxies).forEach((p) => p.close()),
  };
}

export type GatewayApp = ReturnType<typeof createGatewayApp>;
