// What a service declares to the HTTP layer: routes as data (method, path pattern, the scope a
// key needs, what body it takes) with plain handlers from a request to a result.
import type { IncomingMessage } from "node:http";
import type { Tracer } from "@opentelemetry/api";
import type { ApiKey, Scope } from "./api-keys.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import type { RateLimitPolicy } from "./rate-limit.ts";
import type { ServerLimits } from "./server-limits.ts";
import type { Span } from "./telemetry.ts";

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
  /** If-Match as an expected stream version (routes that declare `ifMatch`), parsed strictly. */
  expectedVersion: number | undefined;
  /** The request's server span: attributes set here describe the request (event ids...). */
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
  /** The scope a key must hold when keys are configured; a route without one is open. */
  scope?: Scope;
  /** The route reads If-Match (an expected version); elsewhere the header is refused. */
  ifMatch?: boolean;
}

/** A readiness check's answer with the reason it fails, e.g. the partitions that are stuck. */
export interface ReadinessResult {
  ready: boolean;
  detail?: unknown;
}

export interface HttpAppOptions {
  routes: Route[];
  logger: Logger;
  metrics: Metrics;
  /** Not used by the HTTP layer (the server span is the HTTP instrumentation's). */
  tracer?: Tracer;
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
  /** Writes per minute per key (per client address without keys); absent or 0 is no limit. */
  rateLimit?: RateLimitPolicy;
  /**
   * The OpenAPI document /openapi.json and /swagger show, cut down to this app's routes: a file
   * (YAML or JSON), the parsed document, or false for none. Default: docs/openapi.yaml of this
   * checkout.
   */
  openApi?: string | Record<string, unknown> | false;
}
