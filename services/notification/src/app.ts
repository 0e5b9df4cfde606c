import {
  conflict,
  createHttpApp,
  databaseReady,
  deadLetterRoutes,
  lagRoute,
  notFound,
  type DeadLetters,
  type HttpPolicy,
  type LagMonitor,
  type Logger,
  type Metrics,
  type Pool,
  type Route,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { deliveryStatuses } from "./deliveries.ts";
import { getDelivery, listDeliveries, replayDelivery } from "./delivery-queries.ts";
import { channels } from "./plan.ts";
import { limit, oneOf, uuid } from "./params.ts";
import { defaultWebhooks, subscriptionRoutes, type SubscriptionRouteDeps } from "./subscription-routes.ts";

export interface NotificationAppDeps {
  /** Consumer lag, served on GET /lag. */
  lag: LagMonitor;
  pool: Pool;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  deadLetters: DeadLetters;
  ready: () => boolean;
  /** Told when a replayed delivery is due again. */
  onReplayed: () => void;
  /** Keys, server limits and JSON depth (httpPolicy(config)); none means open, with defaults. */
  http?: HttpPolicy;
  /**
   * The webhook policy, the secret box and the policy's metrics, for the subscription routes;
   * without them (a route listing) the policy admits public addresses only.
   */
  webhooks?: Omit<SubscriptionRouteDeps, "pool">;
}

export function createNotificationApp(deps: NotificationAppDeps) {
  const { pool } = deps;
  const routes: Route[] = [
    ...subscriptionRoutes({ pool, ...(deps.webhooks ?? defaultWebhooks()) }),
    {
      method: "GET",
      path: "/api/deliveries",
      scope: "read",
      handler: async ({ query }) => {
        const eventId = query.get("eventId") || undefined;
        const deliveries = await listDeliveries(pool, {
          eventId: eventId === undefined ? undefined : uuid(eventId, "eventId"),
          status: oneOf(query, "status", deliveryStatuses),
          channel: oneOf(query, "channel", channels),
          rule: query.get("rule") || undefined,
          limit: limit(query, 100, 1000),
        });
        return { status: 200, body: { count: deliveries.length, deliveries } };
      },
    },
    {
      method: "GET",
      path: "/api/deliveries/:id",
      scope: "read",
      handler: async ({ params }) => {
        const found = await getDelivery(pool, uuid(params.id, "id"));
        if (!found) throw notFound(`no delivery ${params.id}`);
        return { status: 200, body: found };
      },
    },
    {
      method: "POST",
      path: "/api/deliveries/:id/replay",
      scope: "admin",
      handler: async ({ params }) => {
        const result = await replayDelivery(pool, uuid(params.id, "id"));
        if ("replayed" in result) {
          deps.onReplayed();
          return { status: 200, body: result.replayed };
        }
        if (!result.current) throw notFound(`no delivery ${params.id}`);
        throw conflict(
          `delivery ${params.id} is ${result.current.status}; only a dead delivery can be replayed`,
          {
            deliveryStatus: result.current.status,
          },
        );
      },
    },
    ...deadLetterRoutes("/api/notification/dead-letters", deps.deadLetters),
  ];
  routes.push(lagRoute(deps.lag));
  return createHttpApp({
    routes,
    logger: deps.logger,
    metrics: deps.metrics,
    tracer: deps.tracer,
    ...deps.http,
    readiness: {
      postgres: () => databaseReady(pool),
      consumer: deps.ready,
      partitions: () => deps.lag.readiness(),
    },
  });
}
