import {
  createHttpApp,
  databaseReady,
  deadLetterRoutes,
  intParam,
  lagRoute,
  notFound,
  conflict,
  unavailable,
  type DeadLetters,
  type HttpPolicy,
  type LagMonitor,
  type Logger,
  type Metrics,
  type Pool,
  type Route,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { documentModels, projectionNames, type DocumentModel } from "./read-models.ts";
import { filtersOf, getDocument, listActivity, listDocuments, type Page } from "./queries.ts";
import type { ProjectionStatus } from "./status.ts";
import { documentAsOf } from "./as-of.ts";
import { freshReads, asOfParam, type FreshReads } from "./fresh-reads.ts";
import type { Freshness } from "./freshness.ts";
import type { StoreClient } from "./store-client.ts";

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
  /** Read-your-writes (afterEventId, minPosition); without it such reads answer 503. */
  freshness?: Freshness;
  /** The event store's HTTP API, for documents as of a time (asOf). */
  store?: StoreClient;
  /** The longest a read waits for its write (READ_WAIT_MAX_MS); `waitMs` may ask for less. */
  readWaitMaxMs?: number;
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

// The routes each read model answers: `/api/<name>` lists with filters, `/api/<name>/:id` gets
// one (as of a time with `asOf`). Every read waits for the client's write when it names one.
const documentRoutes = (pool: Pool, fresh: FreshReads, store: StoreClient | undefined): Route[] =>
  documentModels.flatMap((model): Route[] => [
    {
      method: "GET",
      path: `/api/${model.name}`,
      ...(personal.has(model.name) ? { scope: "read" as const } : {}),
      handler: fresh(async ({ query }) => ({
        status: 200,
        body: await listDocuments(pool, model, filtersOf(model, query), page(query)),
      })),
    },
    {
      method: "GET",
      path: `/api/${model.name}/:id`,
      ...(personal.has(model.name) ? { scope: "read" as const } : {}),
      handler: fresh(async ({ params, query }) => {
        const asOf = asOfParam(query);
        if (asOf !== undefined) return asOfAnswer(pool, store, model, params.id!, asOf);
        const doc = await getDocument(pool, model, params.id!);
        if (doc === undefined) throw notFound(`no ${model.name} read model for ${params.id}`);
        return { status: 200, body: doc };
      }),
    },
  ]);

async function asOfAnswer(
  pool: Pool,
  store: StoreClient | undefined,
  model: DocumentModel,
  id: string,
  asOf: string,
  absent: (doc: unknown) => boolean = () => false,
) {
  if (!store) throw unavailable("documents as of a time need the event store, which is not configured", 5);
  const found = await documentAsOf(pool, store, model, id, asOf);
  if (found === undefined || absent(found.doc))
    throw notFound(`no ${model.name} read model for ${id} as of ${asOf}`, { asOf });
  return {
    status: 200,
    headers: { "x-as-of": asOf, "x-as-of-events": String(found.events) },
    body: found.doc,
  };
}

export function createProjectionApp(deps: ProjectionAppDeps) {
  const { pool } = deps;
  const customers = documentModels.find((m) => m.name === "customers")!;
  const fresh = freshReads(deps.freshness, deps.readWaitMaxMs ?? 2000);
  const deleted = (doc: unknown) => (doc as { status?: string } | undefined)?.status === "Deleted";
  const routes: Route[] = [
    {
      method: "GET",
      path: "/api/events",
      scope: "read",
      handler: fresh(async ({ query }) => ({ status: 200, body: await listActivity(pool, {}, page(query)) })),
    },
    {
      method: "GET",
      path: "/api/events/user/:userId",
      scope: "read",
      handler: fresh(async ({ params, query }) => ({
        status: 200,
        body: {
          userId: params.userId,
          ...(await listActivity(pool, { userId: params.userId! }, page(query))),
        },
      })),
    },
    {
      method: "GET",
      path: "/api/events/type/:eventType",
      scope: "read",
      handler: fresh(async ({ params, query }) => ({
        status: 200,
        body: {
          eventType: params.eventType,
          ...(await listActivity(pool, { eventType: params.eventType! }, page(query))),
        },
      })),
    },
    {
      method: "GET",
      path: "/customer/:id",
      scope: "read",
      handler: fresh(async ({ params, query }) => {
        const asOf = asOfParam(query);
        if (asOf !== undefined) return asOfAnswer(pool, deps.store, customers, params.id!, asOf, deleted);
        const doc = await getDocument(pool, customers, params.id!);
        if (doc === undefined || deleted(doc))
          throw notFound(`customer ${params.id} not found`, { customerId: params.id });
        return { status: 200, body: doc };
      }),
    },
    ...documentRoutes(pool, fresh, deps.store),
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
