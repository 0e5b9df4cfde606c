// Writes per minute per API key (express-rate-limit, a fixed window in this process's memory):
// a client past its share gets a 429 problem with Retry-After, its reads are never counted.
// Without keys the client's address is the key (behind the gateway, the gateway's address).
import type { RequestHandler } from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import { ProblemError } from "./errors.ts";

export interface RateLimitPolicy {
  /** Writes one key may make per minute; 0 is no limit. */
  writesPerMinute: number;
}

const WINDOW_MS = 60_000;

/** Routes that change state: the ones a write limit counts. */
export const isWrite = (method: string): boolean => method !== "GET" && method !== "HEAD";

export const tooManyRequests = (
  limit: number,
  retryAfterSeconds: number,
  field: "X-API-Key" | "client address",
): ProblemError =>
  new ProblemError(`more than ${limit} writes in a minute`, {
    code: "RATE_LIMITED",
    status: 429,
    retriable: true,
    retryAfterSeconds,
    problems: [{ field, reason: `at most ${limit} writes a minute; retry after ${retryAfterSeconds} s` }],
    extra: { limit, windowSeconds: WINDOW_MS / 1000 },
  });

/**
 * The limiter for write routes, or undefined when the policy sets none. It runs after the key was
 * checked, so an unknown key is a 401 that costs nobody's share.
 */
export function writeLimiter(
  policy: RateLimitPolicy | undefined,
  keyed: boolean,
): RequestHandler | undefined {
  const limit = policy?.writesPerMinute ?? 0;
  if (limit <= 0) return undefined;
  const keyOf = (req: Parameters<RequestHandler>[0]): string => {
    const key = req.headers["x-api-key"];
    if (keyed && typeof key === "string" && key !== "") return `key:${key}`;
    return `ip:${ipKeyGenerator(req.socket.remoteAddress ?? "unknown")}`;
  };
  return rateLimit({
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: "draft-7",
    legacyHeaders: false,
    keyGenerator: keyOf,
    handler: (req, _res, next) => {
      const reset = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60;
      next(tooManyRequests(limit, seconds, keyed ? "X-API-Key" : "client address"));
    },
  });
}
