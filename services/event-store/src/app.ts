import {
  createHttpApp,
  databaseReady,
  dateTimeParam,
  deadLetterRoutes,
  intParam,
  lagRoute,
  notFound,
  validationError,
  type DeadLetters,
  type HttpPolicy,
  type LagMonitor,
  type Logger,
  type Metrics,
  type Pool,
  type Publisher,
  type Route,
  type TopicNames,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { eventStatus, lastPosition, listRejected, readFeed, readStream, replay, stats } from "./queries.ts";
import { feedCursor } from "./store-params.ts";
import { erasureRoutes } from "./erasure-routes.ts";
import { lifecycleRoutes, readableStream } from "./lifecycle-routes.ts";
import { queryRoutes } from "./query-routes.ts";

export interface EventStoreAppDeps {
  /** Consumer lag, served on GET /lag. */
  lag: LagMonitor;
  pool: Pool;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  deadLetters: DeadLetters;
  ready: () => boolean;
  /** Where an admin erasure sends its event (events.ingest). */
  publisher?: Publisher;
  topics?: TopicNames;
  /** Keys, server limits and JSON depth (httpPolicy(config)); none means open, with defaults. */
  http?: HttpPolicy;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createEventStoreApp(deps: EventStoreAppDeps) {
  const { pool, metrics } = deps;
  const routes: Route[] = [
    {
      method: "GET",
      path: "/api/eventstore/events/:eventId",
      scope: "read",
      handler: async ({ params }) => {
        if (!UUID.test(params.eventId!))
          throw validationError("invalid event id", [{ field: "eventId", reason: "must be a UUID" }]);
        return { status: 200, body: await eventStatus(pool, params.eventId!) };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/streams/:aggregateType/:aggregateId",
      scope: "read",
      handler: async ({ params, query }) => {
        const stream = await readableStream(pool, params.aggregateType!, params.aggregateId!);
        const events = await readStream(
          pool,
          params.aggregateType!,
          params.aggregateId!,
          intParam(query, "fromVersion", { fallback: 1, min: 1 }),
          intParam(query, "toVersion", { fallback: 2_147_483_647, min: 1 }),
          intParam(query, "limit", { fallback: 1000, min: 1, max: 10_000 }),
        );
        return {
          status: 200,
          body: {
            aggregateType: params.aggregateType,
            aggregateId: params.aggregateId,
            lifecycle: stream?.lifecycle ?? "open",
            count: events.length,
            events,
          },
        };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/feed",
      scope: "read",
      handler: async ({ query }) => {
        const after = feedCursor(query.get("after") || "0:0");
        const limit = intParam(query, "limit", { fallback: 500, min: 1, max: 5000 });
        return { status: 200, body: await readFeed(pool, after, limit) };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/replay/:aggregateType/:aggregateId",
      scope: "read",
      handler: async ({ params, query }) => {
        const strategy = query.get("strategy") ?? "snapshot";
        if (strategy !== "full" && strategy !== "snapshot") {
          throw validationError("invalid strategy", [
            { field: "strategy", reason: "must be full or snapshot" },
          ]);
        }
        const version = query.get("version")
          ? intParam(query, "version", { fallback: 0, min: 1 })
          : undefined;
        const stream = await readableStream(pool, params.aggregateType!, params.aggregateId!);
        const result = await replay(pool, params.aggregateType!, params.aggregateId!, {
          strategy,
          version,
          at: dateTimeParam(query, "at"),
          fromDate: dateTimeParam(query, "fromDate"),
        });
        if (result === undefined) throw notFound(`no domain declares aggregate type ${params.aggregateType}`);
        if (result === null) throw notFound(`no events for ${params.aggregateType} ${params.aggregateId}`);
        metrics.eventsReplayed.inc({ aggregate_type: result.aggregateType, strategy }, result.eventsReplayed);
        return { status: 200, body: { ...result, lifecycle: stream?.lifecycle ?? "open" } };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/head",
      handler: async () => ({ status: 200, body: { lastPosition: await lastPosition(pool) } }),
    },
    {
      method: "GET",
      path: "/api/eventstore/stats",
      handler: async () => ({ status: 200, body: await stats(pool) }),
    },
    {
      method: "GET",
      path: "/api/eventstore/rejected",
      scope: "read",
      handler: async ({ query }) => {
        const rejected = await listRejected(
          pool,
          intParam(query, "limit", { fallback: 100, min: 1, max: 1000 }),
        );
        return { status: 200, body: { count: rejected.length, rejected } };
      },
    },
    ...queryRoutes(pool),
    ...lifecycleRoutes(pool),
    ...erasureRoutes(deps),
    ...deadLetterRoutes("/api/eventstore/dead-letters", deps.deadLetters),
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
