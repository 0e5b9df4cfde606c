// What a service's HTTP documentation is made of: its operations (one per route it answers), the
// schemas it owns, and the builders its operations are written with. Each service exports its own
// (`services/<name>/src/docs.ts`); docs/generate.ts assembles them into docs/openapi.yaml.
import { createLogger, createMetrics, trace, type Scope } from "@eventscope/platform";
import { ref, type Json } from "./schema.ts";

export type Service = "producer" | "event-store" | "projection" | "notification" | "process-manager";

export interface RouteEntry {
  method: string;
  path: string;
  scope?: Scope;
}

export interface Operation {
  service: Service | Service[];
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The route as the service declares it (`:param`). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  parameters?: Json[];
  pathParams?: Record<string, Json>;
  requestBody?: Json;
  responses: Record<string, Json>;
  extra?: Json;
}

/** One service's part of both documents. */
export interface ServiceDocs {
  service: Service;
  /** The server's description. */
  title: string;
  port: number;
  /** The tag's description: what the service does. */
  description: string;
  /** Consumes Kafka: answers GET /lag and parks what it cannot process. */
  consumer: boolean;
  /**
   * Every route the service answers, with the scope its key needs, as its app factory builds them.
   * No server is started: the dependencies are stubs, and no handler is called.
   */
  routes(): RouteEntry[];
  operations(): Operation[];
  /** The schemas it owns, in the order the document lists them. */
  schemas(): Record<string, Json>;
  /** Schemas of request bodies its operations name, listed after every other schema. */
  requestSchemas?(): Record<string, Json>;
  /** The parameters its operations share (components.parameters). */
  parameters?(): Record<string, Json>;
  /** The requests it makes to others' URLs (OpenAPI webhooks). */
  webhooks?(): Json;
  /** AsyncAPI: what it sends to and receives from the topics, by operation id. */
  messaging(): Record<string, Json>;
  /** AsyncAPI: a paragraph of the document's description about it. */
  messagingNote?: string;
}

export const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, "{$1}");

export const param = (
  name: string,
  where: "path" | "query" | "header",
  schema: Json,
  description: string,
  required = false,
) => ({
  name,
  in: where,
  description,
  required: where === "path" ? true : required,
  schema,
});

export const content = (schema: Json, type = "application/json"): Json => ({ [type]: { schema } });
export const okResponse = (description: string, schema: Json, headers?: Json): Json => ({
  description,
  ...(headers ? { headers } : {}),
  content: content(schema),
});
export const problemResponse = (description: string, extra: Json = {}): Json => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
  ...extra,
});
export const responseRef = (name: string): Json => ({ $ref: `#/components/responses/${name}` });

const responseNames: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  503: "Unavailable",
};
/** Problem answers by status; 400 always: every route decodes its path and query strictly. */
export const problems = (...statuses: number[]): Record<string, Json> => {
  const out: Record<string, Json> = { "400": responseRef("BadRequest") };
  for (const status of statuses) out[String(status)] = responseRef(responseNames[status]!);
  out.default = responseRef("Error");
  return out;
};
export const pRef = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
export const header = (name: string): Json => ({ $ref: `#/components/headers/${name}` });
export const pathParam = (description: string, schema: Json = { type: "string" }): Json => ({
  description,
  schema,
});

/**
 * What every app factory takes besides its own dependencies, for building a route table without a
 * server: a silent logger, a metric registry, a tracer. `stub` stands for what no handler uses then.
 */
export const routeTableDeps = (service: Service) => ({
  logger: createLogger({ service, level: "silent" }),
  metrics: createMetrics(service),
  tracer: trace.getTracer("docs"),
});
export const stub = {} as never;
/** What a consuming service's app factory takes from the platform's wiring, stubbed. */
export const consumingStubs = { pool: stub, deadLetters: stub, lag: stub, ready: () => false };
