// The gateway's routing table, read from the OpenAPI document rather than kept by hand: each
// operation's tag names the service that answers it (docs/generate.ts writes one tag per
// answering service, and test/contracts/openapi.unit.spec.ts holds the document to the services'
// own route tables). One path may have its methods on two services (POST /api/events on the
// producer, GET /api/events on the projection): the method decides.

export const upstreamNames = [
  "producer",
  "event-store",
  "projection",
  "notification",
  "process-manager",
] as const;
export type Upstream = (typeof upstreamNames)[number];

const methods = ["get", "put", "post", "delete", "patch"] as const;

export interface GatewayRoute {
  method: string;
  /** The documented template, e.g. `/customer/{id}`. */
  path: string;
  /** The same in the services' own form (`/customer/:id`): the metric and span label. */
  route: string;
  upstream: Upstream;
  pattern: RegExp;
  /** Literal segments: a literal beats a parameter where two templates match one path. */
  literals: number;
}

export type RouteMatch =
  | { kind: "route"; route: GatewayRoute }
  | { kind: "method"; path: string; route: string; allowed: string[] }
  | { kind: "none" };

interface OpenApiDocument {
  paths?: Record<string, Record<string, { tags?: string[] } | undefined>>;
}

// One path segment, never "." or "..": a template's parameter cannot climb to another path.
const PARAM = "(?!\\.\\.?(?:/|$))[^/]+";

const isUpstream = (name: string): name is Upstream => (upstreamNames as readonly string[]).includes(name);

/**
 * Every operation answered by exactly one service. Operations every service answers for itself
 * (`/health/*`, `/metrics`, `/lag`) have several tags and are not proxied: the gateway has its own.
 */
export function routesFromOpenApi(document: OpenApiDocument): GatewayRoute[] {
  const routes: GatewayRoute[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of methods) {
      const tags = item[method]?.tags ?? [];
      const [upstream] = tags;
      if (tags.length !== 1 || upstream === undefined || !isUpstream(upstream)) continue;
      const segments = path.split("/").filter(Boolean);
      const source = segments
        .map((s) => (/^\{[^}]+\}$/.test(s) ? PARAM : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("/");
      routes.push({
        method: method.toUpperCase(),
        path,
        route: path.replace(/\{([^}]+)\}/g, ":$1"),
        upstream,
        pattern: new RegExp(`^/${source}/?$`),
        literals: segments.filter((s) => !s.startsWith("{")).length,
      });
    }
  }
  return routes.sort((a, b) => b.literals - a.literals);
}

/** The route for a method and a path (no query); HEAD goes where GET goes. */
export function matchRoute(routes: GatewayRoute[], method: string, path: string): RouteMatch {
  const wanted = method === "HEAD" ? "GET" : method;
  let onPath: GatewayRoute | undefined;
  const allowed = new Set<string>();
  for (const route of routes) {
    if (!route.pattern.test(path)) continue;
    onPath ??= route;
    if (route.method === wanted) return { kind: "route", route };
    allowed.add(route.method);
  }
  if (!onPath) return { kind: "none" };
  return { kind: "method", path: onPath.path, route: onPath.route, allowed: [...allowed].sort() };
}
