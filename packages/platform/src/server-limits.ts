// What one HTTP server holds open for its clients: a slow or idle client, or many of them, can
// only take the time and connections configured here (documented defaults in commonSettings).
import type { Server } from "node:http";
import type { ApiKey } from "./api-keys.ts";
import type { RateLimitPolicy } from "./rate-limit.ts";

export interface ServerLimits {
  /** Whole request, headers and body (Node answers 408 after it). */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Connections beyond it are closed as soon as they are accepted. */
  maxConnections: number;
}

export const defaultServerLimits: ServerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 1024,
};

export function applyServerLimits(server: Server, limits: Partial<ServerLimits> = {}): ServerLimits {
  const applied = { ...defaultServerLimits, ...limits };
  server.requestTimeout = applied.requestTimeoutMs;
  // Node requires headersTimeout <= requestTimeout.
  server.headersTimeout = Math.min(applied.headersTimeoutMs, applied.requestTimeoutMs);
  server.keepAliveTimeout = applied.keepAliveTimeoutMs;
  server.maxConnections = applied.maxConnections;
  return applied;
}

/** The HTTP settings every service shares (keys, limits, JSON depth, write limit), as createHttpApp takes them. */
export interface HttpPolicy {
  apiKeys: ApiKey[];
  limits: ServerLimits;
  jsonMaxDepth: number;
  rateLimit: RateLimitPolicy;
}

/** The policy from a service's configuration (commonSettings' HTTP entries). */
export function httpPolicy(config: {
  apiKeys: ApiKey[];
  httpRequestTimeoutMs: number;
  httpHeadersTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  httpMaxConnections: number;
  jsonMaxDepth: number;
  rateLimitWritesPerMinute?: number;
}): HttpPolicy {
  return {
    apiKeys: config.apiKeys,
    jsonMaxDepth: config.jsonMaxDepth,
    rateLimit: { writesPerMinute: config.rateLimitWritesPerMinute ?? 0 },
    limits: {
      requestTimeoutMs: config.httpRequestTimeoutMs,
      headersTimeoutMs: config.httpHeadersTimeoutMs,
      keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
      maxConnections: config.httpMaxConnections,
    },
  };
}
