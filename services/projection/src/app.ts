import {
  createHttpApp,
  databaseReady,
  deadLetterRoutes,
  intParam,
  lagRoute,
  notFound,
  conflict,
  type DeadLetters,
  type HttpPolicy,
  type LagMonitor,
  type Logger,
  type Metrics,
  type Pool,
  type Route,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { documentModels, projectionNames } from "./read-models.ts";
import { getDocument, listActivity, listDocuments, type Page } from "./queries.ts";
import type { ProjectionStatus } from "./status.ts";

export interface ProjectionAppDeps {
  /** Consumer lag, served on GET /lag. */
  lag: LagMonitor;
  pool: Pool;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  deadLetters: DeadLetters;
  ready: () => boolean;
  status: () => Promise<ProjectionStatus[]>;
  rebuild: (name: string) => boolean;
  /** Keys, server limits and JSON depth (httpPolicy(config)); none means open, with defaults. */
  http?: HttpPolicy;
}

// Read models that hold personal data (names, e-mail addresses) need a key with the read scope,
// as does user activity (its metadata carries IP addresses and the like).
const personal = new Set(["customers"]);

// limit=0 is refused (it once became 1 silently): a page has 1 to 1000 rows.
const page = (query: URLSearchParams): Page => ({
  limit: intParam(query, "limit", { fallback: 100, min: 1, max: 1000 }),
  offset: intParam(query, "offset", { fallback: 0, min: 0, max: 10_000_000 }),
});

// The routes each read model answers: `/api/<name>` lists with filters, `/api/<name>/:id` gets one.
const documentRoutes = (pool: Pool): Route[] =>
  documentModels.flatMap((model): Route[] => [
    {
      method: "GET",
      path: `/api/${model.name}`,
      ...(personal.has(model.name) ? { scope: "read" as const } : {}),
      handler: async ({ query }) => {
        const filters: Record<string, string> = {};
        for (const param of Object.keys(model.filters)) {
          const value = query.get(param);
          if (value !== null && value !== "") filters[param] = value;
        }
        return { status: 200, body: await listDocuments(pool, model, filters, page(query)) };
      },
    },
    {
      method: "GET",
      path: `/api/${model.name}/:id`,
      ...(personal.has(model.name) ? { scope: "read" as const } : {}),
      handler: async ({ params }) => {
        const doc = await getDocument(pool, model, params.id!);
        if (doc === undefined) throw notFound(`no ${model.name} read model for ${params.id}`);
        return { status: 200, body: doc };
      },
    },
  ]);

export function createProjectionApp(deps: ProjectionAppDeps) {
  const { pool } = deps;
  const customers = documentModels.find((m) => m.name === "customers")!;
  const routes: Route[] = [
    {
      method: "GET",
      path: "/api/events",
      scope: "read",
      handler: async ({ query }) => ({ status: 200, body: await listActivity(pool, {}, page(query)) }),
    },
    {
      method: "GET",
      path: "/api/events/user/:userId",
      scope: "read",
      handler: async ({ params, query }) => ({
        status: 200,
        body: {
          userId: params.userId,
          ...(await listActivity(pool, { userId: params.userId! }, page(query))),
        },
      }),
    },
    {
      method: "GET",
      path: "/api/events/type/:eventType",
      scope: "read",
      handler: async ({ params, query }) => ({
        status: 200,
        body: {
          eventType: params.eventType,
          ...(await listActivity(pool, { eventType: params.eventType! }, page(query))),
        },
      }),
    },
    {
      method: "GET",
      path: "/customer/:id",
      scope: "read",
      handler: async ({ params }) => {
        const doc = (await getDocument(pool, customers, params.id!)) as { status?: string } | undefined;
        if (doc === undefined || doc.status === "Deleted")
          throw notFound(`customer ${params.id} not found`, { customerId: params.id });
        return { status: 200, body: doc };
      },
    },
    ...documentRoutes(pool),
    {
      method: "GET",
      path: "/api/projections",
      handler: async () => ({ status: 200, body: { projections: await deps.status() } }),
    },
    {
      method: "GET",
      path: "/api/projections/:name",
      handler: async ({ params }) => {
        const found = (await deps.status()).find((p) => p.name === params.name);
        if (!found) throw notFound(`no projection ${params.name}`, { projections: projectionNames() });
        return { status: 200, body: found };
      },
    },
    {
      method: "POST",
      path: "/api/projections/:name/rebuild",
      scope: "admin",
      handler: ({ params }) => {
        if (!projectionNames().includes(params.name!))
          throw notFound(`no projection ${params.name}`, { projections: projectionNames() });
        if (!deps.rebuild(params.name!)) throw conflict(`projection ${params.name} is already being rebuilt`);
        return {
          status: 202,
          headers: { location: `/api/projections/${params.name}` },
          body: { projection: params.name, status: "rebuilding" },
        };
      },
    },
    ...deadLetterRoutes("/api/projection/dead-letters", deps.deadLetters),
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
