// docs/openapi.yaml and docs/asyncapi.yaml against the code: every route each service answers is
// documented (and nothing else) with the scope its key needs, every event type is in both documents,
// every $ref resolves, the read-model shapes list the domain states' fields, and the files are what
// docs/generate.ts makes. No server is started and nothing touches the network: the apps are built
// with stub dependencies by routeTables() (a handler would fail, but only the route tables are read).
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  activity,
  carts,
  customers,
  domains,
  eventAliases,
  eventSchemas,
  inventory,
  orders,
  payments,
  products,
  tasks,
  toKafkaRecord,
  topics,
  type Domain,
} from "@eventscope/contracts";
import { scopes } from "@eventscope/platform";
import { processManagerSettings, processStatuses, sagas, stepNamespace } from "@eventscope/process-manager";
import { commandRoutes } from "@eventscope/producer";
import {
  asyncApiFile,
  deadLetterHeaders,
  envelopeHeaders,
  openApiFile,
  readModelSchemas,
  renderDocuments,
  routeTables,
  serverUrl,
  services,
  toOpenApiPath,
  userActivityState,
  type Service,
} from "../../docs/generate.ts";

type Json = Record<string, any>;
type RouteKey = string; // "GET /api/events/{id}"

const methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

const openapiText = await readFile(openApiFile, "utf8");
const asyncapiText = await readFile(asyncApiFile, "utf8");
const openapi = parse(openapiText) as Json;
const asyncapi = parse(asyncapiText) as Json;
const serviceNames = Object.keys(services) as Service[];
const serviceOfUrl = new Map(serviceNames.map((s) => [serverUrl(s), s]));

/** Documented operations: "METHOD /path" -> the services (servers) that answer it. */
function documented(): Map<RouteKey, Service[]> {
  const out = new Map<RouteKey, Service[]>();
  for (const [path, item] of Object.entries(openapi.paths as Json)) {
    for (const method of methods) {
      const op = (item as Json)[method] as Json | undefined;
      if (!op) continue;
      const urls = ((op.servers ?? openapi.servers) as { url: string }[]).map((s) => s.url);
      out.set(
        `${method.toUpperCase()} ${path}`,
        urls.map((u) => {
          const service = serviceOfUrl.get(u);
          if (!service) throw new Error(`${method} ${path}: server ${u} is no service's`);
          return service;
        }),
      );
    }
  }
  return out;
}

/** Every `$ref` in a document, with where it sits. */
function refs(node: unknown, at = "#"): { ref: string; at: string }[] {
  if (Array.isArray(node)) return node.flatMap((v, i) => refs(v, `${at}/${i}`));
  if (node === null || typeof node !== "object") return [];
  const out: { ref: string; at: string }[] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string") out.push({ ref: v, at });
    else out.push(...refs(v, `${at}/${k}`));
  }
  return out;
}

function resolvePointer(document: Json, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = document;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object" || !(key in node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

describe("openapi.yaml documents every HTTP route", () => {
  const routes = routeTables();

  it("every route each service answers is documented, with the same method, for that service", () => {
    const docs = documented();
    const missing: string[] = [];
    for (const service of serviceNames) {
      for (const route of routes[service]) {
        const key = `${route.method} ${toOpenApiPath(route.path)}`;
        if (!docs.get(key)?.includes(service)) missing.push(`${service}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("every documented operation is answered by the services it names", () => {
    const answered = new Map<RouteKey, Set<Service>>();
    for (const service of serviceNames) {
      for (const route of routes[service]) {
        const key = `${route.method} ${toOpenApiPath(route.path)}`;
        answered.set(key, (answered.get(key) ?? new Set()).add(service));
      }
    }
    const extra: string[] = [];
    for (const [key, docServices] of documented()) {
      for (const service of docServices)
        if (!answered.get(key)?.has(service)) extra.push(`${service}: ${key}`);
    }
    expect(extra).toEqual([]);
  });

  it("has a server and a tag per service, and every operation one server per tag", () => {
    expect((openapi.servers as { url: string }[]).map((s) => s.url)).toEqual(serviceNames.map(serverUrl));
    expect((openapi.tags as { name: string }[]).map((t) => t.name)).toEqual(serviceNames);
    for (const [path, item] of Object.entries(openapi.paths as Json)) {
      for (const method of methods) {
        const op = (item as Json)[method] as Json | undefined;
        if (!op) continue;
        const servers = (op.servers as { url: string }[]).map((s) => serviceOfUrl.get(s.url));
        expect(servers, `${method} ${path}`).toEqual(op.tags);
      }
    }
  });

  it("documents each path parameter of each operation", () => {
    for (const [path, item] of Object.entries(openapi.paths as Json)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const method of methods) {
        const op = (item as Json)[method] as Json | undefined;
        if (!op) continue;
        const declared = ((op.parameters ?? []) as Json[]).filter((p) => p.in === "path").map((p) => p.name);
        expect(declared, `${method} ${path}`).toEqual(names);
      }
    }
  });

  it("documents the process manager's routes: filters, 400 and 404, the process with its steps", () => {
    const list = openapi.paths["/api/processes"].get as Json;
    const byName = Object.fromEntries((list.parameters as Json[]).map((p) => [p.name ?? p.$ref, p]));
    expect(byName.type.schema.enum).toEqual(sagas.map((s) => s.type));
    expect(byName.status.schema.enum).toEqual(processStatuses);
    expect(Object.keys(list.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "403"]));
    const one = openapi.paths["/api/processes/{id}"].get as Json;
    expect(Object.keys(one.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "403", "404"]));
    const process = openapi.components.schemas.Process as Json;
    expect(Object.keys(process.properties)).toEqual(
      expect.arrayContaining([
        "id",
        "status",
        "stage",
        "outcome",
        "state",
        "steps",
        "events",
        "nextTimer",
        "timers",
      ]),
    );
    expect(Object.keys(openapi.components.schemas.ProcessStep.properties)).toEqual(
      expect.arrayContaining([
        "eventId",
        "eventType",
        "status",
        "causedBy",
        "decidedAt",
        "sentAt",
        "committedAt",
      ]),
    );
    for (const path of ["/api/process-manager/dead-letters", "/api/process-manager/dead-letters/{id}/replay"])
      expect(openapi.paths[path], path).toBeDefined();
  });

  it("documents a delivery's recipient and a checkout's order id", () => {
    expect(openapi.components.schemas.Delivery.properties.recipient.enum).toEqual([
      "event",
      "customer",
      "default",
      "subscription",
      null,
    ]);
    const checkout = openapi.paths["/api/carts/{id}/checkout"].post as Json;
    const answered = checkout.responses["202"].content["application/json"].schema.allOf[1] as Json;
    expect(answered.required).toEqual(["orderId"]);
  });

  it("maps each producer command route to its event's data schema, behind the API key", () => {
    for (const command of commandRoutes) {
      const op = openapi.paths[toOpenApiPath(command.path)]?.[command.method.toLowerCase()] as Json;
      expect(op["x-event-type"], command.path).toBe(command.eventType);
      expect(op.security).toEqual([{ ApiKey: ["write"] }]);
      expect(op.parameters.map((p: Json) => p.$ref ?? p.name)).toEqual(
        expect.arrayContaining(["#/components/parameters/IfMatch", "#/components/parameters/IdempotencyKey"]),
      );
      const body = op.requestBody.content["application/json"].schema.$ref as string;
      expect([
        `#/components/schemas/${command.eventType}`,
        `#/components/schemas/${command.eventType}Request`,
      ]).toContain(body);
      expect(Object.keys(op.responses)).toEqual(
        expect.arrayContaining(["202", "400", "401", "403", "409", "413", "415", "503"]),
      );
      expect(op.responses["409"]).toEqual({ $ref: "#/components/responses/IdempotencyConflict" });
    }
    expect(openapi.components.securitySchemes.ApiKey).toMatchObject({
      type: "apiKey",
      in: "header",
      name: "X-API-Key",
    });
  });
});

describe("openapi.yaml documents each route's security", () => {
  const routes = routeTables();

  it("a route that needs a scope requires exactly it (ApiKey scheme, 401/403, the description), and an open route requires none", () => {
    const wrong: string[] = [];
    let scoped = 0;
    for (const service of serviceNames) {
      for (const route of routes[service]) {
        const key = `${service}: ${route.method} ${toOpenApiPath(route.path)}`;
        const op = openapi.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase()] as Json | undefined;
        if (!op) continue; // undocumented: the route test names it
        if (route.scope === undefined) {
          if (op.security !== undefined)
            wrong.push(`${key}: open, documented ${JSON.stringify(op.security)}`);
          continue;
        }
        scoped++;
        if (JSON.stringify(op.security) !== JSON.stringify([{ ApiKey: [route.scope] }]))
          wrong.push(`${key}: needs ${route.scope}, documented ${JSON.stringify(op.security)}`);
        if (op.responses["401"]?.$ref !== "#/components/responses/Unauthorized") wrong.push(`${key}: no 401`);
        if (op.responses["403"]?.$ref !== "#/components/responses/Forbidden") wrong.push(`${key}: no 403`);
        if (!String(op.description).includes(`\`${route.scope}\` scope`))
          wrong.push(`${key}: the description does not name the ${route.scope} scope`);
      }
    }
    expect(wrong).toEqual([]);
    expect(scoped).toBeGreaterThan(40);
  });

  it("every security requirement names the ApiKey scheme and one known scope", () => {
    for (const [path, item] of Object.entries(openapi.paths as Json)) {
      for (const method of methods) {
        const op = (item as Json)[method] as Json | undefined;
        if (!op?.security) continue;
        expect(op.security, `${method} ${path}`).toHaveLength(1);
        expect(Object.keys(op.security[0]), `${method} ${path}`).toEqual(["ApiKey"]);
        expect(op.security[0].ApiKey).toHaveLength(1);
        expect(scopes, `${method} ${path}`).toContain(op.security[0].ApiKey[0]);
      }
    }
    expect(openapi.security).toBeUndefined();
    const problem = openapi.components.schemas.Problem.properties as Json;
    expect(problem.requiredScope.enum).toEqual([...scopes]);
  });
});

describe("openapi.yaml documents the door and the webhook policy", () => {
  it("has the strict-input, 405 and 408 answers", () => {
    const responses = openapi.components.responses as Json;
    for (const name of ["BadRequest", "PayloadTooLarge", "UnsupportedMediaType", "MethodNotAllowed"])
      expect(responses[name].content["application/problem+json"], name).toBeDefined();
    expect(responses.MethodNotAllowed.headers.Allow).toBeDefined();
    expect(responses.RequestTimeout.content).toBeUndefined();
    expect(responses.BadRequest.description).toMatch(/JSON_MAX_DEPTH/);
    expect(openapi.components.schemas.Accepted.required).toContain("payloadHash");
  });

  it("documents the subscription routes' policy answers and the enable route", () => {
    const create = openapi.paths["/api/subscriptions"].post as Json;
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(["201", "400", "503"]));
    expect(create.description).toMatch(/WEBHOOK_ALLOWED_TARGETS/);
    const enable = openapi.paths["/api/subscriptions/{id}/enable"].post as Json;
    expect(Object.keys(enable.responses)).toEqual(
      expect.arrayContaining(["200", "400", "401", "403", "404", "409", "503"]),
    );
    expect(enable.responses["200"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/SubscriptionDetail",
    });
    expect(Object.keys(openapi.components.schemas.Subscription.properties)).toEqual(
      expect.arrayContaining([
        "status",
        "consecutiveFailures",
        "failingSince",
        "disabledAt",
        "disabledReason",
      ]),
    );
  });
});

describe("event types", () => {
  const eventTypes = Object.keys(eventSchemas());

  it("every event type of the contracts has its data schema in both documents", () => {
    expect(eventTypes.length).toBeGreaterThan(0);
    for (const doc of [openapi, asyncapi]) {
      for (const eventType of eventTypes) {
        const { description: _d, ...schema } = doc.components.schemas[eventType] as Json;
        const { $id: _id, ...expected } = eventSchemas()[eventType]!;
        expect(schema, eventType).toEqual(expected);
      }
      const anyOf = (doc.components.schemas.EventData as Json).anyOf as Json[];
      expect(anyOf.map((s) => s.$ref)).toEqual([
        ...eventTypes.map((t) => `#/components/schemas/${t}`),
        "#/components/schemas/UserActivity",
      ]);
      const { description: _d, ...activitySchema } = doc.components.schemas.UserActivity as Json;
      const { description: _a, ...expected } = activity.freeFormEvents!.dataSchema;
      expect(activitySchema).toEqual(expected);
    }
    expect(asyncapi.components.schemas.IngestHeaders.properties.ce_type.anyOf[0].enum).toEqual(eventTypes);
  });
});

describe("asyncapi.yaml describes the topics", () => {
  it("has the four topics, keyed by aggregateId, with 6 partitions by default", () => {
    const addresses = Object.values(asyncapi.channels as Json).map((c: Json) => c.address);
    expect(addresses.sort()).toEqual(Object.values(topics).sort());
    for (const channel of Object.values(asyncapi.channels as Json) as Json[]) {
      expect(channel.bindings.kafka).toMatchObject({ topic: channel.address, partitions: 6 });
      expect(channel.description).toMatch(/partition/);
    }
    for (const name of ["ingestEvent", "committedEvent", "rejectedEvent"]) {
      const message = asyncapi.components.messages[name] as Json;
      expect(message.payload).toEqual({ $ref: "#/components/schemas/EventData" });
      expect(message.bindings.kafka.key.description).toMatch(/aggregateId/);
    }
  });

  it("lists every ce_* header of the binding, and the rejection and dead-letter headers", () => {
    const committed = asyncapi.components.schemas.CommittedHeaders as Json;
    expect(Object.keys(committed.properties)).toEqual(Object.keys(envelopeHeaders));
    expect(committed.required).toEqual(
      expect.arrayContaining(["ce_id", "ce_type", "ce_streamversion", "ce_position", "ce_storedat"]),
    );
    expect(Object.keys(asyncapi.components.schemas.RejectedHeaders.properties)).toEqual(
      expect.arrayContaining(["ce_id", "ce_rejectioncode", "ce_rejectionreason"]),
    );
    expect(Object.keys(asyncapi.components.schemas.DeadLetterHeaders.properties)).toEqual(
      Object.keys(deadLetterHeaders),
    );
  });

  it("headers cover what the contracts' Kafka binding writes", () => {
    const record = toKafkaRecord({
      eventId: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
      eventType: "OrderShipped",
      aggregateId: "o-1",
      aggregateType: "Order",
      timestamp: "2025-10-01T10:30:00.000Z",
      version: 4,
      schemaVersion: 1,
      position: "42",
      storedAt: "2025-10-01T10:30:00.010Z",
      data: { trackingNumber: "T1" },
      metadata: {
        correlationId: "c",
        causationId: "x",
        userId: "u",
        source: "s",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        tracestate: "a=b",
        acceptedAt: "2025-10-01T10:30:00.000Z",
        extra: 1,
      } as never,
    });
    expect(Object.keys(record.headers).sort()).toEqual(Object.keys(envelopeHeaders).sort());
  });

  it("has the operations of each service", () => {
    const ops = Object.values(asyncapi.operations as Json) as Json[];
    const of = (action: string, address: string) =>
      ops
        .filter((o) => o.action === action && resolvePointer(asyncapi, o.channel.$ref)) // resolvable
        .filter((o) => (resolvePointer(asyncapi, o.channel.$ref) as Json).address === address)
        .map((o) => o.tags[0].name as string)
        .sort();
    expect(of("send", topics.ingest)).toEqual(["producer"]);
    expect(of("receive", topics.ingest)).toEqual(["event-store"]);
    expect(of("send", topics.committed)).toEqual(["event-store"]);
    expect(of("send", topics.rejected)).toEqual(["event-store"]);
    expect(of("receive", topics.committed)).toEqual(["notification", "process-manager", "projection"]);
    expect(of("receive", topics.rejected)).toEqual(["process-manager"]);
    expect(of("send", topics.deadLetter)).toEqual([
      "event-store",
      "notification",
      "process-manager",
      "projection",
    ]);
    const groups = (name: string) =>
      (asyncapi.operations[name] as Json).bindings.kafka.groupId.enum as string[];
    expect(groups("processManagerReceiveCommitted")).toEqual([processManagerSettings.groupId.default]);
    expect(groups("processManagerReceiveRejected")).toEqual([
      `${processManagerSettings.groupId.default}-rejected`,
    ]);
  });

  it("says where the process manager's events come from and how their ids are made", () => {
    expect(asyncapi.info.description).toContain("`process-manager`");
    expect(asyncapi.info.description).toContain(stepNamespace);
    expect(asyncapi.info.description).toMatch(/uuid v5/);
    expect(asyncapi.components.schemas.CommittedHeaders.properties.ce_source.examples).toContain(
      "process-manager",
    );
  });

  it("names the aliases and what they are stored as, in both documents", () => {
    expect(Object.keys(eventAliases)).toEqual(["OrderPlaced", "PaymentCaptured", "LowStockAlerted"]);
    for (const doc of [openapi, asyncapi]) {
      const data = doc.components.schemas.EventData as Json;
      expect(data["x-event-aliases"]).toEqual(eventAliases);
      for (const [alias, stored] of Object.entries(eventAliases))
        expect(data.description).toContain(`\`${alias}\` (as \`${stored}\`)`);
    }
  });
});

describe("the documents are sound", () => {
  it("carry their spec versions", () => {
    expect(openapi.openapi).toBe("3.1.0");
    expect(asyncapi.asyncapi).toBe("3.0.0");
    expect(openapi.info.title).toBeTruthy();
    expect(asyncapi.info.title).toBeTruthy();
  });

  it("every $ref resolves inside its document", () => {
    for (const doc of [openapi, asyncapi]) {
      const all = refs(doc);
      expect(all.length).toBeGreaterThan(50);
      const broken = all
        .filter((r) => resolvePointer(doc, r.ref) === undefined)
        .map((r) => `${r.at}: ${r.ref}`);
      expect(broken).toEqual([]);
    }
  });

  it("operation ids are unique and every response has a description", () => {
    const ids: string[] = [];
    for (const item of [
      ...Object.values(openapi.paths as Json),
      ...Object.values(openapi.webhooks as Json),
    ]) {
      for (const method of methods) {
        const op = (item as Json)[method] as Json | undefined;
        if (!op) continue;
        ids.push(op.operationId);
        for (const [status, response] of Object.entries(op.responses as Json)) {
          const r = (response.$ref ? resolvePointer(openapi, response.$ref) : response) as Json;
          expect(r.description, `${op.operationId} ${status}`).toBeTruthy();
        }
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("read-model schemas list exactly the fields of the domain states", () => {
    const byName: Record<string, Domain> = {
      orders,
      payments,
      carts,
      inventory,
      products,
      tasks,
      customers,
    };
    for (const [name, model] of Object.entries(readModelSchemas)) {
      const schema = openapi.components.schemas[model.schema] as Json;
      expect(Object.keys(schema.properties), name).toEqual(
        Object.keys(byName[name]!.initial() as Record<string, unknown>),
      );
      expect(domains.some((d) => d.aggregateType === model.aggregateType)).toBe(true);
    }
    expect(Object.keys(userActivityState.properties as Json)).toEqual(Object.keys(activity.initial()));
  });
});

describe("docs/generate.ts", () => {
  it("the committed files are what the generator produces now (run `node docs/generate.ts`)", async () => {
    const generated = await renderDocuments();
    expect(openapiText).toBe(generated.openapi);
    expect(asyncapiText).toBe(generated.asyncapi);
  });
});
