// One HTTP layer under the http-layer benchmark, in a process of its own so that its CPU time is
// its own: `node http-layer-server.ts express|node-router`. It answers the same route table on
// either layer, says its port once listening, and its CPU time whenever asked.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import {
  createHttpApp,
  createLogger,
  createMetrics,
  intParam,
  parseApiKeys,
  trace,
  type Route,
} from "@eventscope/platform";
import { createNodeRouterApp } from "./http-layer-node-router.ts";

export const layers = ["node-router", "express"] as const;
export type Layer = (typeof layers)[number];
export const benchKey = "bench-key";

/** A table shaped like a service's: many command routes, then the two the load calls. */
export function benchRoutes(): Route[] {
  const commands: Route[] = Array.from({ length: 30 }, (_, i) => ({
    method: "POST",
    path: `/api/things${i}/:id/act`,
    scope: "write",
    accepts: ["application/json"],
    handler: ({ params }) => ({ status: 202, body: { id: params.id } }),
  }));
  return [
    ...commands,
    {
      method: "POST",
      path: "/api/events",
      scope: "write",
      accepts: ["application/json"],
      ifMatch: true,
      handler: ({ body }) => {
        const eventId = randomUUID();
        return {
          status: 202,
          headers: { location: `/api/eventstore/events/${eventId}` },
          body: {
            message: "Event published successfully",
            eventId,
            type: (body as { eventType?: string }).eventType,
          },
        };
      },
    },
    {
      method: "GET",
      path: "/api/events/user/:userId",
      scope: "read",
      handler: ({ params, query }) => {
        const limit = intParam(query, "limit", { fallback: 10, min: 1, max: 100 });
        return {
          status: 200,
          body: { userId: params.userId, count: 1, limit, events: [{ eventType: "login" }] },
        };
      },
    },
  ];
}

if (process.send) {
  const layer = process.argv[2] as Layer;
  const common = {
    logger: createLogger({ service: "bench-http", level: "silent" }),
    metrics: createMetrics("bench-http"),
    tracer: trace.getTracer("bench-http"),
    apiKeys: parseApiKeys(benchKey),
    routes: benchRoutes(),
  };
  const server =
    layer === "express"
      ? createHttpApp({ ...common, openApi: false }).server
      : createNodeRouterApp(common).server;
  server.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as AddressInfo).port }));
  process.on("message", (message) => {
    if (message === "cpu") process.send!({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
    if (message === "stop") server.close(() => process.exit(0));
  });
}
