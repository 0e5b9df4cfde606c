import {
  createHttpApp,
  databaseReady,
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
  type Route,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { findSteps, getProcess, listProcesses } from "./queries.ts";
import { sagas } from "./sagas/index.ts";

export interface ProcessManagerAppDeps {
  pool: Pool;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  deadLetters: DeadLetters;
  lag: LagMonitor;
  ready: () => boolean;
  http?: HttpPolicy;
}

export const processStatuses = ["active", "completed", "compensating", "cancelled", "failed"];

/** A filter value from the query string, checked against what it can be (400 naming it otherwise). */
function oneOf(query: URLSearchParams, name: string, allowed: string[]): string | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  if (!allowed.includes(value))
    throw validationError(`invalid ${name}`, [
      { field: name, reason: `must be one of ${allowed.join(", ")}` },
    ]);
  return value;
}

const uuidForm = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An event id from the query string, or undefined when absent (400 naming it when not a UUID). */
function eventIdParam(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  if (!uuidForm.test(value))
    throw validationError(`invalid ${name}`, [{ field: name, reason: "must be a UUID" }]);
  return value.toLowerCase();
}

export function createProcessManagerApp(deps: ProcessManagerAppDeps) {
  const { pool } = deps;
  // A process's state may hold personal data (an onboarding's e-mail address): reads need a key.
  const routes: Route[] = [
    {
      method: "GET",
      path: "/api/processes",
      scope: "read",
      handler: async ({ query }) => {
        const type = oneOf(
          query,
          "type",
          sagas.map((s) => s.type),
        );
        const status = oneOf(query, "status", processStatuses);
        const page = {
          limit: intParam(query, "limit", { fallback: 100, min: 1, max: 1000 }),
          offset: intParam(query, "offset", { fallback: 0, min: 0, max: 10_000_000 }),
        };
        const filters = { ...(type ? { type } : {}), ...(status ? { status } : {}) };
        return { status: 200, body: await listProcesses(pool, filters, page) };
      },
    },
    {
      // Before /api/processes/:id: a process id is always `type:key`, never "steps".
      method: "GET",
      path: "/api/processes/steps",
      scope: "read",
      handler: async ({ query }) => {
        const causedBy = eventIdParam(query, "causedBy");
        const eventId = eventIdParam(query, "eventId");
        if (!causedBy && !eventId)
          throw validationError("say which steps", [
            {
              field: "causedBy",
              reason: "give causedBy (the event that caused them) or eventId (the step's own)",
            },
          ]);
        const limit = intParam(query, "limit", { fallback: 100, min: 1, max: 1000 });
        const filter = { ...(causedBy ? { causedBy } : {}), ...(eventId ? { eventId } : {}) };
        return { status: 200, body: await findSteps(pool, filter, limit) };
      },
    },
    {
      method: "GET",
      path: "/api/processes/:id",
      scope: "read",
      handler: async ({ params }) => {
        const process = await getProcess(pool, params.id!);
        if (!process) throw notFound(`no process ${params.id}`, { processId: params.id });
        return { status: 200, body: process };
      },
    },
    ...deadLetterRoutes("/api/process-manager/dead-letters", deps.deadLetters),
    lagRoute(deps.lag),
  ];
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
