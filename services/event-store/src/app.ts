import {
  createHttpApp,
  databaseReady,
  deadLetterRoutes,
  lagRoute,
  notFound,
  validationError,
  type DeadLetters,
  type LagMonitor,
  type Logger,
  type Metrics,
  type Pool,
  type Route,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { eventStatus, readFeed, readStream, replay, stats, parseCursor } from "./queries.ts";

export interface EventStoreAppDeps {
  /** Consumer lag, served on GET /lag. */
  lag: LagMonitor;
  pool: Pool;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  deadLetters: DeadLetters;
  ready: () => boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function intParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min = 0,
  max = 2_147_483_647,
): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw validationError(`invalid ${name}`, [
      { field: name, reason: `must be an integer from ${min} to ${max}` },
    ]);
  }
  return n;
}

function dateParam(query: URLSearchParams, name: string): string | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  if (Number.isNaN(Date.parse(raw)))
    throw validationError(`invalid ${name}`, [{ field: name, reason: "must be an ISO 8601 date-time" }]);
  return new Date(raw).toISOString();
}

export function createEventStoreApp(deps: EventStoreAppDeps) {
  const { pool, metrics } = deps;
  const routes: Route[] = [
    {
      method: "GET",
      path: "/api/eventstore/events/:eventId",
      handler: async ({ params }) => {
        if (!UUID.test(params.eventId!))
          throw validationError("invalid event id", [{ field: "eventId", reason: "must be a UUID" }]);
        return { status: 200, body: await eventStatus(pool, params.eventId!) };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/streams/:aggregateType/:aggregateId",
      handler: async ({ params, query }) => {
        const events = await readStream(
          pool,
          params.aggregateType!,
          params.aggregateId!,
          intParam(query, "fromVersion", 1, 1),
          intParam(query, "toVersion", 2_147_483_647, 1),
          intParam(query, "limit", 1000, 1, 10_000),
        );
        return {
          status: 200,
          body: {
            aggregateType: params.aggregateType,
            aggregateId: params.aggregateId,
            count: events.length,
            events,
          },
        };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/feed",
      handler: async ({ query }) => {
        const after = query.get("after") ?? "0:0";
        try {
          parseCursor(after);
        } catch (error) {
          throw validationError("invalid cursor", [{ field: "after", reason: (error as Error).message }]);
        }
        return { status: 200, body: await readFeed(pool, after, intParam(query, "limit", 500, 1, 5000)) };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/replay/:aggregateType/:aggregateId",
      handler: async ({ params, query }) => {
        const strategy = query.get("strategy") ?? "snapshot";
        if (strategy !== "full" && strategy !== "snapshot") {
          throw validationError("invalid strategy", [
            { field: "strategy", reason: "must be full or snapshot" },
          ]);
        }
        const version = query.has("version") ? intParam(query, "version", 0, 1) : undefined;
        const result = await replay(pool, params.aggregateType!, params.aggregateId!, {
          strategy,
          version,
          at: dateParam(query, "at"),
          fromDate: dateParam(query, "fromDate"),
        });
        if (result === undefined) throw notFound(`no domain declares aggregate type ${params.aggregateType}`);
        if (result === null) throw notFound(`no events for ${params.aggregateType} ${params.aggregateId}`);
        metrics.eventsReplayed.inc({ aggregate_type: result.aggregateType, strategy }, result.eventsReplayed);
        return { status: 200, body: result };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/head",
      handler: async () => {
        const { rows } = await pool.query<{ p: string | null }>("SELECT max(position) AS p FROM events");
        return { status: 200, body: { lastPosition: rows[0]?.p ?? "0" } };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/stats",
      handler: async () => ({ status: 200, body: await stats(pool) }),
    },
    {
      method: "GET",
      path: "/api/eventstore/rejected",
      handler: async ({ query }) => {
        const { rows } = await pool.query(
          `SELECT event_id AS "eventId", event_type AS "eventType", aggregate_type AS "aggregateType",
                  aggregate_id AS "aggregateId", code, reason, rejected_at AS "rejectedAt"
           FROM rejected_events ORDER BY rejected_at DESC LIMIT $1`,
          [intParam(query, "limit", 100, 1, 1000)],
        );
        return { status: 200, body: { count: rows.length, rejected: rows } };
      },
    },
    ...deadLetterRoutes("/api/eventstore/dead-letters", deps.deadLetters),
  ];
  routes.push(lagRoute(deps.lag));
  return createHttpApp({
    routes,
    logger: deps.logger,
    metrics: deps.metrics,
    tracer: deps.tracer,
    readiness: {
      postgres: () => databaseReady(pool),
      consumer: deps.ready,
    },
  });
}
