// Generates docs/openapi.yaml (OpenAPI 3.1) and docs/asyncapi.yaml (AsyncAPI 3.0). Both files are
// GENERATED: edit the documentation modules, never the YAML, then rerun `node docs/generate.ts`.
//
// What comes from where:
// - each service's routes, the schemas it owns, its Kafka sends and receives: its own documentation
//   module (`services/<name>/src/docs.ts`, exported from its index.ts), whose route table is the one
//   its app factory builds, so each operation's security (the scope its key needs) is the service's;
// - event data schemas, the envelope and the committed event: @eventscope/contracts, through
//   docs/lib/events.ts; the read-model shapes of the domain state types: docs/lib/read-models.ts;
// - what every service answers because the platform gives it (problems, health, metrics, lag, dead
//   letters, API keys) and the Kafka headers: docs/lib/platform.ts and docs/lib/asyncapi.ts.
// This file only assembles them. test/contracts/openapi.unit.spec.ts checks the documents against the
// running route tables of every service and fails when the committed files differ from what this
// script produces.
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { stringify } from "yaml";
import { topics } from "@eventscope/contracts";
import { eventStoreDocs } from "@eventscope/event-store";
import { DEFAULT_KAFKA_PARTITIONS } from "@eventscope/infra";
import { notificationDocs } from "@eventscope/notification";
import type { Scope } from "@eventscope/platform";
import { processManagerDocs } from "@eventscope/process-manager";
import { producerDocs, producerSettings } from "@eventscope/producer";
import { projectionDocs } from "@eventscope/projection";
import {
  deadLetterHeaders,
  envelopeHeaders,
  h,
  headersSchema,
  kafkaKey,
  rejectionHeaders,
  requiredHeaders,
} from "./lib/asyncapi.ts";
import { aliasNote, eventComponentSchemas, eventDataSchemas, eventDataUnion } from "./lib/events.ts";
import {
  param,
  responseRef,
  toOpenApiPath,
  type Operation,
  type RouteEntry,
  type Service,
  type ServiceDocs,
} from "./lib/openapi.ts";
import {
  builtinOperations,
  deadLetterSchemas,
  headers,
  healthSchemas,
  pagingParameters,
  problemSchemas,
  responses,
  securitySchemes,
  serverDefaults,
} from "./lib/platform.ts";
import { readModelSchemas, userActivityState } from "./lib/read-models.ts";
import { ref, type Json } from "./lib/schema.ts";

export { deadLetterHeaders, envelopeHeaders, readModelSchemas, toOpenApiPath, userActivityState };
export type { RouteEntry, Service };

const docsDir = fileURLToPath(new URL(".", import.meta.url));
export const openApiFile = resolve(docsDir, "openapi.yaml");
export const asyncApiFile = resolve(docsDir, "asyncapi.yaml");

const VERSION = "0.1.0";

/** The services, in the order both documents list them. */
const serviceDocs: ServiceDocs[] = [
  producerDocs,
  eventStoreDocs,
  projectionDocs,
  notificationDocs,
  processManagerDocs,
];

export const services = Object.fromEntries(
  serviceDocs.map((s) => [s.service, { port: s.port, title: s.title }]),
) as Record<Service, { port: number; title: string }>;

export const serverUrl = (service: Service): string => `http://localhost:${services[service].port}`;
const server = (service: Service) => ({ url: serverUrl(service), description: services[service].title });
const tag = (docs: ServiceDocs) => ({ name: docs.service, description: docs.description });

/** Every route each service answers, with the scope its key needs, as its app factory builds them. */
export function routeTables(): Record<Service, RouteEntry[]> {
  return Object.fromEntries(serviceDocs.map((s) => [s.service, s.routes()])) as Record<Service, RouteEntry[]>;
}

export function operations(): Operation[] {
  return [
    ...builtinOperations(
      serviceDocs.map((s) => s.service),
      serviceDocs.filter((s) => s.consumer).map((s) => s.service),
    ),
    ...serviceDocs.flatMap((s) => s.operations()),
  ];
}

/**
 * components.schemas: the problems and the events first, then each service's own, the dead-letter
 * schemas after the first service that parks messages, the health answers, and last the request
 * bodies the services' operations made.
 */
function httpSchemas(): Record<string, Json> {
  const schemas: Record<string, Json> = { ...problemSchemas(), ...eventComponentSchemas() };
  let deadLetters = false;
  for (const docs of serviceDocs) {
    Object.assign(schemas, docs.schemas());
    if (docs.consumer && !deadLetters) {
      Object.assign(schemas, deadLetterSchemas());
      deadLetters = true;
    }
  }
  Object.assign(schemas, healthSchemas());
  for (const docs of serviceDocs) Object.assign(schemas, docs.requestSchemas?.());
  return schemas;
}

/** components.parameters: the services' own, then the paging ones every listing shares. */
function parameters(): Record<string, Json> {
  return Object.assign({}, ...serviceDocs.map((s) => s.parameters?.() ?? {}), pagingParameters());
}

/** The scope an operation's key needs, from the route tables of the services that answer it. */
function scopeLookup(): (op: Operation) => Scope | undefined {
  const tables = routeTables();
  return (op) => {
    const opServices = Array.isArray(op.service) ? op.service : [op.service];
    const found = opServices.map((service) => {
      const route = tables[service].find((r) => r.method === op.method && r.path === op.path);
      if (!route) throw new Error(`${op.method} ${op.path} is documented, but ${service} does not answer it`);
      return route.scope;
    });
    if (new Set(found).size > 1)
      throw new Error(`${op.method} ${op.path}: the services ask different scopes`);
    return found[0];
  };
}

const scopeNote = (scope: Scope) =>
  `Needs an X-API-Key with the \`${scope}\` scope when API_KEYS is set (401 without a valid key, 403 ` +
  "with a key that lacks the scope).";

export function buildOpenApi(): Json {
  const ops = operations();
  const scopeOf = scopeLookup();
  const paths: Record<string, Record<string, Json>> = {};
  for (const op of ops) {
    const path = toOpenApiPath(op.path);
    const item = (paths[path] ??= {});
    const method = op.method.toLowerCase();
    if (item[method]) throw new Error(`${op.method} ${path} documented twice`);
    const opServices = Array.isArray(op.service) ? op.service : [op.service];
    const pathParamNames = [...op.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
    const pathParameters = pathParamNames.map((name) => {
      const doc = op.pathParams?.[name];
      if (!doc) throw new Error(`${op.method} ${op.path}: path parameter ${name} is not described`);
      return param(name, "path", doc.schema as Json, doc.description as string);
    });
    const scope = scopeOf(op);
    const description = [op.description, scope && scopeNote(scope)].filter(Boolean).join("\n\n");
    item[method] = {
      operationId: op.operationId,
      tags: opServices,
      summary: op.summary,
      ...(description ? { description } : {}),
      servers: opServices.map(server),
      ...(pathParameters.length + (op.parameters?.length ?? 0) > 0
        ? { parameters: [...pathParameters, ...(op.parameters ?? [])] }
        : {}),
      ...(op.requestBody ? { requestBody: op.requestBody } : {}),
      responses: scope
        ? { ...op.responses, "401": responseRef("Unauthorized"), "403": responseRef("Forbidden") }
        : op.responses,
      ...(scope ? { security: [{ ApiKey: [scope] }] } : {}),
      ...op.extra,
    };
  }
  const schemas = httpSchemas();
  return {
    openapi: "3.1.0",
    info: {
      title: "Eventscope HTTP APIs",
      version: VERSION,
      description:
        "The five Eventscope services in one document; each operation names the service (server) that " +
        "answers it. Errors are RFC 7807 problem bodies (`application/problem+json`) whose `errors` name " +
        "each offending field. Every response carries a W3C `traceparent` header.\n\n" +
        "Access: an operation with a security requirement needs an X-API-Key holding the scope named there " +
        "(`write`, `read` or `admin`; see the ApiKey scheme); the others are open.\n\n" +
        "Every service's door, whatever the route: input is taken as sent or refused, never repaired " +
        "(400 BadRequest, 413, 415: see those responses); a known path with another method is a 405 " +
        "problem with an Allow header (MethodNotAllowed); a request not received within " +
        `HTTP_REQUEST_TIMEOUT_MS (${serverDefaults.requestTimeoutMs}) is a 408 (RequestTimeout); a write ` +
        "beyond RATE_LIMIT_WRITES_PER_MINUTE per key is a 429 with Retry-After (TooManyRequests; off by " +
        "default). Each service also serves its own operations of this document at `/openapi.json` and " +
        "Swagger UI at `/swagger`. Idle " +
        "keep-alive connections close after HTTP_KEEP_ALIVE_TIMEOUT_MS " +
        `(${serverDefaults.keepAliveTimeoutMs}); ` +
        `connections beyond HTTP_MAX_CONNECTIONS (${serverDefaults.maxConnections}) are closed as soon ` +
        "as they are accepted.\n\n" +
        "Generated by `node docs/generate.ts` from the contracts and the services' route tables: do not edit.",
      license: { name: "Proprietary" },
    },
    servers: serviceDocs.map((s) => server(s.service)),
    tags: serviceDocs.map(tag),
    paths,
    webhooks: Object.assign({}, ...serviceDocs.map((s) => s.webhooks?.() ?? {})),
    components: {
      schemas,
      responses: responses(producerSettings.bodyLimitBytes.default),
      parameters: parameters(),
      headers: headers(),
      securitySchemes: securitySchemes(),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// AsyncAPI
// ---------------------------------------------------------------------------------------------

export function buildAsyncApi(): Json {
  const partitions = DEFAULT_KAFKA_PARTITIONS;
  const ordering =
    "Records are keyed by aggregateId, so every event of one aggregate is on one partition and is read " +
    "in the order it was written: order is kept per aggregate (not across aggregates).";
  const channel = (
    address: string,
    title: string,
    description: string,
    message: string,
    order = ordering,
  ): Json => ({
    address,
    title,
    description: `${description}\n\n${order}`,
    messages: { [message]: { $ref: `#/components/messages/${message}` } },
    bindings: {
      kafka: {
        topic: address,
        partitions,
        replicas: 1,
        topicConfiguration: { "cleanup.policy": ["delete"] },
        bindingVersion: "0.5.0",
      },
    },
  });
  const cloudEvent = (name: string, title: string, summary: string, headers: string): Json => ({
    name,
    title,
    summary,
    contentType: "application/json",
    headers: ref(headers),
    payload: ref("EventData"),
    correlationId: {
      description: "The event's correlation id",
      location: "$message.header#/ce_correlationid",
    },
    ...kafkaKey("The aggregateId: keeps each aggregate's events on one partition, in order"),
  });
  const eventSchemasOnly: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(eventDataSchemas())) eventSchemasOnly[name] = schema;
  const base = { ...envelopeHeaders };
  delete base.ce_position;
  delete base.ce_storedat;
  return {
    asyncapi: "3.0.0",
    info: {
      title: "Eventscope topics",
      version: VERSION,
      description:
        "The Kafka topics between the Eventscope services. Every event record follows the CloudEvents Kafka " +
        "protocol binding in binary content mode: the value is the event's data as JSON, every other " +
        "attribute is a `ce_*` header, and the key is the aggregate id. Any CloudEvents consumer can read them.\n\n" +
        `Topics have ${partitions} partitions by default (KAFKA_PARTITIONS); TOPIC_PREFIX prefixes every name.\n\n` +
        [...serviceDocs.flatMap((s) => s.messagingNote ?? []), aliasNote].join("\n\n") +
        "\n\n" +
        "Generated by `node docs/generate.ts` from the contracts: do not edit.",
      tags: serviceDocs.map(tag),
    },
    defaultContentType: "application/json",
    servers: {
      local: {
        host: "localhost:9092",
        protocol: "kafka",
        protocolVersion: "4.0",
        description: "Kafka in KRaft mode (KAFKA_BROKERS, default 127.0.0.1:9092)",
      },
    },
    channels: {
      ingest: channel(
        topics.ingest,
        "Accepted events",
        "Events the producer accepted (answered 202), not decided yet. Only the event store reads them; a " +
          "dead letter of events.ingest replayed by the event store comes back here.",
        "ingestEvent",
      ),
      committed: channel(
        topics.committed,
        "Committed events",
        "Events the store appended, with their stream version and global position, published before the " +
          "store commits its ingest offsets; a redelivered event is republished as stored (same version). " +
          "A dead letter of events.committed replayed by the projection, notification service or process " +
          "manager comes back here.",
        "committedEvent",
      ),
      rejected: channel(
        topics.rejected,
        "Rejected events",
        "Events the store refused (state machine, expected version, unknown type), with the reason in headers; " +
          "also readable through GET /api/eventstore/events/{eventId} and /api/eventstore/rejected. The process " +
          "manager reads it for its own steps (`ce_source` `process-manager`) and skips the rest.",
        "rejectedEvent",
      ),
      deadletter: channel(
        topics.deadLetter,
        "Parked messages",
        "Messages a consumer could not process (malformed records, poison messages), as they were, plus why " +
          "and where from. Each service also keeps them in its dead_letters table, lists them over HTTP and " +
          "can replay them to their original topic.",
        "deadLetter",
        "Records keep their original key (the aggregateId when there was one), so a parked event lands on the " +
          "partition of its aggregate; the topic is for inspection, no service consumes it.",
      ),
    },
    operations: Object.assign({}, ...serviceDocs.map((s) => s.messaging())),
    components: {
      schemas: {
        EventData: eventDataUnion(),
        ...eventSchemasOnly,
        IngestHeaders: headersSchema(base, requiredHeaders, "Headers of an accepted event"),
        CommittedHeaders: headersSchema(
          envelopeHeaders,
          [...requiredHeaders, "ce_streamversion", "ce_position", "ce_storedat"],
          "Headers of a committed event",
        ),
        RejectedHeaders: headersSchema(
          {
            ...base,
            ce_type: h("eventType, as sent (possibly one no domain declares)"),
            ce_aggregatetype: h("aggregateType, as sent (possibly one no domain declares)"),
            ...rejectionHeaders,
          },
          [...requiredHeaders, "ce_rejectioncode", "ce_rejectionreason"],
          "Headers of a rejected event: the accepted event's, plus the rejection",
        ),
        DeadLetterHeaders: {
          ...headersSchema(
            deadLetterHeaders,
            Object.keys(deadLetterHeaders),
            "The original record's headers, unchanged, plus where it came from and why it was parked",
          ),
          additionalProperties: { type: "string" },
        },
      },
      messages: {
        ingestEvent: cloudEvent(
          "ingestEvent",
          "Accepted event",
          "An event the producer accepted",
          "IngestHeaders",
        ),
        committedEvent: cloudEvent(
          "committedEvent",
          "Committed event",
          "An event the store appended",
          "CommittedHeaders",
        ),
        rejectedEvent: cloudEvent(
          "rejectedEvent",
          "Rejected event",
          "An event the store refused",
          "RejectedHeaders",
        ),
        deadLetter: {
          name: "deadLetter",
          title: "Parked message",
          summary: "A record a consumer could not process",
          headers: ref("DeadLetterHeaders"),
          payload: {
            description:
              "The original record's value, unchanged: usually an event's data as JSON, but a malformed record may hold anything.",
          },
          ...kafkaKey("The original record's key (the aggregateId when there was one)"),
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

async function toYaml(document: Json, file: string, title: string): Promise<string> {
  const banner = `# ${title}\n# GENERATED by \`node docs/generate.ts\` from the contracts and the services' route tables: do not edit.\n`;
  const text = banner + stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 });
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file, parser: "yaml" });
}

/** Both documents, exactly as the committed files should read. */
export async function renderDocuments(): Promise<{ openapi: string; asyncapi: string }> {
  return {
    openapi: await toYaml(buildOpenApi(), openApiFile, "Eventscope HTTP APIs (OpenAPI 3.1)"),
    asyncapi: await toYaml(buildAsyncApi(), asyncApiFile, "Eventscope Kafka topics (AsyncAPI 3.0)"),
  };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const { openapi, asyncapi } = await renderDocuments();
  await writeFile(openApiFile, openapi);
  await writeFile(asyncApiFile, asyncapi);
  console.log(`wrote ${openApiFile} and ${asyncApiFile}`);
}
