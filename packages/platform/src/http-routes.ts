// The route table as data beside express's own routing: which pattern a path belongs to (the
// metric and span label, never the raw path), the methods it allows (405 with Allow), the raw
// parameters (named 400s for bad percent-encoding), and the built-in routes every service answers.
import { match } from "path-to-regexp";
import type { HttpAppOptions, Route } from "./http-types.ts";

export interface PathMatch {
  /** The first route pattern the path belongs to, whatever the method. */
  pattern: string;
  /** Every method declared on a pattern the path belongs to, in table order. */
  allowed: string[];
  /** The path's parameters as sent (percent-encoded) for that first pattern. */
  rawParams: Record<string, string>;
}

export interface RouteTable {
  /** The routes of a path, or undefined when no route has its shape. */
  match(path: string): PathMatch | undefined;
}

// Express's own matching options (case-sensitive, one optional trailing slash), without decoding.
const options = { sensitive: true, end: true, trailing: true, decode: false } as const;

export function routeTable(routes: Route[]): RouteTable {
  const patterns = new Map<string, string[]>();
  for (const route of routes) patterns.set(route.path, [...(patterns.get(route.path) ?? []), route.method]);
  const matchers = [...patterns].map(([pattern, methods]) => ({
    pattern,
    methods,
    test: match<Record<string, string>>(pattern, options),
  }));
  return {
    match(path) {
      let found: PathMatch | undefined;
      for (const matcher of matchers) {
        const m = matcher.test(path);
        if (!m) continue;
        if (!found) found = { pattern: matcher.pattern, allowed: [], rawParams: m.params };
        for (const method of matcher.methods) if (!found.allowed.includes(method)) found.allowed.push(method);
      }
      return found;
    },
  };
}

/** Liveness, readiness (each named check, with why it fails) and the Prometheus scrape. */
export function builtinRoutes(options: Pick<HttpAppOptions, "readiness" | "metrics">): Route[] {
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
