import {
  createHttpApp,
  databaseReady,
  deadLetterRoutes,
  lagRoute,
  notFound,
  validationError,
  conflict,
  type DeadLetters,
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
}

function page(query: URLSearchParams): Page {
  const read = (name: string, fallback: number, max: number) => {
    const raw = query.get(name);
    if (raw === null || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > max) {
      throw validationError(`invalid ${name}`, [
        { field: name, reason: `must be an integer from 0 to ${max}` },
      ]);
    }
    return n;
  };
  return { limit: Math.max(1, read("limit", 100, 1000)), offset: read("offset", 0, 10_000_000) };
}

// The routes each read model answers: `/api/<name>` lists with filters, `/api/<name>/:id` gets one.
const documentRoutes = (pool: Pool): Route[] =>
  documentModels.flatMap((model): Route[] => [
    {
      method: "GET",
      path: `/api/${model.name}`,
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
      handler: async ({ query }) => ({ status: 200, body: await listActivity(pool, {}, page(query)) }),
    },
    {
      method: "GET",
      path: "/api/events/user/:userId",
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
    readiness: { postgres: () => databaseReady(pool), consumer: deps.ready },
  });
}
