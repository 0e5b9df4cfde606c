import {
  conflict,
  createHttpApp,
  notFound,
  validationError,
  type DeadLetters,
  type Logger,
  type Metrics,
  type Pool,
  type Route,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { deliveryStatuses } from "./deliveries.ts";
import { getDelivery, listDeliveries, replayDelivery } from "./delivery-queries.ts";
import { channels } from "./plan.ts";
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  parseSubscription,
  withoutSecret,
} from "./subscriptions.ts";

export interface NotificationAppDeps {
  pool: Pool;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  deadLetters: DeadLetters;
  ready: () => boolean;
  /** Told when a replayed delivery is due again. */
  onReplayed: () => void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuid(value: string | null | undefined, field: string): string {
  if (value === null || value === undefined || !UUID.test(value))
    throw validationError(`invalid ${field}`, [{ field, reason: "must be a UUID" }]);
  return value;
}

function oneOf(query: URLSearchParams, field: string, allowed: readonly string[]): string | undefined {
  const value = query.get(field) || undefined;
  if (value !== undefined && !allowed.includes(value))
    throw validationError(`invalid ${field}`, [{ field, reason: `must be one of ${allowed.join(", ")}` }]);
  return value;
}

function limit(query: URLSearchParams, fallback: number, max: number): number {
  const raw = query.get("limit");
  if (raw === null || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw validationError("invalid limit", [
      { field: "limit", reason: `must be an integer from 1 to ${max}` },
    ]);
  return n;
}

export function createNotificationApp(deps: NotificationAppDeps) {
  const { pool, deadLetters } = deps;
  const routes: Route[] = [
    {
      method: "POST",
      path: "/api/subscriptions",
      accepts: ["application/json"],
      handler: async ({ body }) => ({
        status: 201,
        body: await createSubscription(pool, parseSubscription(body)),
      }),
    },
    {
      method: "GET",
      path: "/api/subscriptions",
      handler: async () => {
        const subscriptions = (await listSubscriptions(pool)).map(withoutSecret);
        return { status: 200, body: { count: subscriptions.length, subscriptions } };
      },
    },
    {
      method: "GET",
      path: "/api/subscriptions/:id",
      handler: async ({ params }) => {
        const found = await getSubscription(pool, uuid(params.id, "id"));
        if (!found) throw notFound(`no subscription ${params.id}`);
        return { status: 200, body: withoutSecret(found) };
      },
    },
    {
      method: "DELETE",
      path: "/api/subscriptions/:id",
      handler: async ({ params }) => {
        if (!(await deleteSubscription(pool, uuid(params.id, "id"))))
          throw notFound(`no subscription ${params.id}`);
        return { status: 204 };
      },
    },
    {
      method: "GET",
      path: "/api/deliveries",
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
      handler: async ({ params }) => {
        const found = await getDelivery(pool, uuid(params.id, "id"));
        if (!found) throw notFound(`no delivery ${params.id}`);
        return { status: 200, body: found };
      },
    },
    {
      method: "POST",
      path: "/api/deliveries/:id/replay",
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
    {
      method: "GET",
      path: "/api/notification/dead-letters",
      handler: async ({ query }) => {
        const letters = await deadLetters.list(limit(query, 100, 1000), query.get("all") === "true");
        return { status: 200, body: { count: letters.length, deadLetters: letters } };
      },
    },
    {
      method: "POST",
      path: "/api/notification/dead-letters/:id/replay",
      handler: async ({ params }) => {
        if (!/^[0-9]{1,18}$/.test(params.id!))
          throw validationError("invalid id", [
            { field: "id", reason: "must be a dead-letter id (an integer)" },
          ]);
        const replayed = await deadLetters.replay(params.id!);
        if (!replayed) throw notFound(`no parked message ${params.id} waiting for replay`);
        return { status: 200, body: replayed };
      },
    },
  ];
  return createHttpApp({
    routes,
    logger: deps.logger,
    metrics: deps.metrics,
    tracer: deps.tracer,
    readiness: {
      postgres: async () => (await pool.query("SELECT 1")).rowCount === 1,
      consumer: deps.ready,
    },
  });
}
