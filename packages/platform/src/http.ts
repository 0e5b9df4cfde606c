// Every service's HTTP layer: express 5, with the routes declared as data (Route[]) and the
// platform's conventions kept: RFC 7807 problems for every error from one error middleware, the
// route pattern as the metric label, strict input (express's JSON parser repairs what we refuse,
// so the body is read raw and parsed strictly), API-key scopes and a write limit as middleware,
// readiness, liveness, metrics and the service's own Swagger UI built in. The server span is the
// HTTP instrumentation's; this layer names its route and the event it was about.
import { createServer, type Server } from "node:http";
import express, { type Express, type RequestHandler } from "express";
import { createKeyring, type Scope } from "./api-keys.ts";
import { requireScope } from "./http-access.ts";
import { mountDocs } from "./http-docs.ts";
import { requestOf, routeInput } from "./http-input.ts";
import { contextOf, describeRequest, observe, spanOf } from "./http-observe.ts";
import { problems, send, unmatched } from "./http-problems.ts";
import { builtinRoutes, routeTable } from "./http-routes.ts";
import type { HttpAppOptions, Route } from "./http-types.ts";
import { isWrite, writeLimiter } from "./rate-limit.ts";
import { applyServerLimits } from "./server-limits.ts";
import { defaultOpenApiFile } from "./swagger.ts";
import { context } from "./telemetry.ts";

export type {
  Handler,
  HttpAppOptions,
  HttpResult,
  ReadinessResult,
  RequestContext,
  Route,
} from "./http-types.ts";

export interface HttpApp {
  /** The express app (a request listener). */
  app: Express;
  /** The node:http server it listens on, with the server limits applied. */
  server: Server;
  /** Every route the app answers (method and path pattern), built-in ones included. */
  routes: { method: string; path: string; scope?: Scope }[];
}

const verbs = { GET: "get", POST: "post", PUT: "put", PATCH: "patch", DELETE: "delete" } as const;

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { logger, metrics } = options;
  const bodyLimit = options.bodyLimitBytes ?? 256 * 1024;
  const routes = [...builtinRoutes(options), ...options.routes];
  const table = routeTable(routes);
  const keyring = createKeyring(options.apiKeys ?? []);
  const limiter = writeLimiter(options.rateLimit, keyring.enabled);
  const input = { bodyLimit, jsonMaxDepth: options.jsonMaxDepth, guard: options.guard, spanOf };

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", false); // the query is decoded strictly per route
  app.set("case sensitive routing", true);
  app.use(observe(metrics));
  for (const route of routes) {
    app[verbs[route.method]](
      route.path,
      requireScope(keyring, route.scope),
      ...(limiter && isWrite(route.method) ? [limiter] : []),
      ...routeInput(route, input),
      respond(route),
    );
  }
  const listed = routes.map((r) => ({
    method: r.method,
    path: r.path,
    ...(r.scope ? { scope: r.scope } : {}),
  }));
  if (options.openApi !== false) mountDocs(app, options.openApi ?? defaultOpenApiFile, listed, logger);
  app.use(unmatched(table));
  app.use(problems({ logger, table, bodyLimit }));

  const server = createServer(app);
  applyServerLimits(server, options.limits);
  if (!keyring.enabled && routes.some((r) => r.scope))
    logger.warn("API_KEYS is empty: every route is open, state changes included");
  return { app, server, routes: listed };
}

/** Runs the route's handler in the request's trace context and writes its result. */
function respond(route: Route): RequestHandler {
  return async (req, res) => {
    const request = requestOf(req)!;
    const result = await context.with(contextOf(req), () => route.handler(request));
    describeRequest(request.span, request.params, result.body);
    send(res, result);
  };
}
