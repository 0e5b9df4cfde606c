import { randomUUID } from "node:crypto";
import {
  domainForEventType,
  fromCloudEvent,
  fromCloudEventBatch,
  userActivityEnvelope,
  type UserActivityRequest,
} from "@eventscope/contracts";
import {
  createHttpApp,
  httpPolicy,
  outgoingKey,
  topicNames,
  validationError,
  type HttpResult,
  type Logger,
  type Metrics,
  type Publisher,
  type RequestContext,
  type Route,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { commandEnvelope, commandRoutes } from "./commands.ts";
import { createIngest, idFromKey, type Accepted } from "./ingest.ts";
import type { ProducerConfig } from "./config.ts";
import { storeLookup, type StoredLookup } from "./seen.ts";

export interface ProducerDeps {
  config: ProducerConfig;
  publisher: Publisher;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  /** How ids chosen by clients are looked up in the event store (default: over HTTP, per config). */
  lookup?: StoredLookup;
}

const JSON_TYPES = ["application/json"];

// Where the read model of each aggregate is read (projection routes, also on the front door):
// a write's answer names it with `afterEventId`, so the client's next read waits for its write.
const readRoutes: Record<string, (id: string) => string> = {
  Customer: (id) => `/customer/${id}`,
  Order: (id) => `/api/orders/${id}`,
  Cart: (id) => `/api/carts/${id}`,
  Payment: (id) => `/api/payments/${id}`,
  Inventory: (id) => `/api/inventory/${id}`,
  Product: (id) => `/api/products/${id}`,
  Task: (id) => `/api/tasks/${id}`,
  User: (id) => `/api/events/user/${id}`,
};

/** What a client passes to a read to see its own write: the event id, and the read route when known. */
export function readAfter(accepted: Pick<Accepted, "eventId" | "eventType" | "aggregateId">) {
  const aggregateType = domainForEventType(accepted.eventType)?.aggregateType;
  const route = aggregateType ? readRoutes[aggregateType] : undefined;
  return {
    afterEventId: accepted.eventId,
    ...(route
      ? { path: `${route(encodeURIComponent(accepted.aggregateId))}?afterEventId=${accepted.eventId}` }
      : {}),
  };
}
const CE_STRUCTURED = "application/cloudevents+json";
const CE_BATCH = "application/cloudevents-batch+json";

export function createProducerApp(deps: ProducerDeps) {
  const { config } = deps;
  const ingest = createIngest({
    publisher: deps.publisher,
    tracer: deps.tracer,
    logger: deps.logger,
    source: config.source,
    eventStoreUrl: config.eventStoreUrl,
    topic: topicNames(config.topicPrefix).ingest,
    lookup:
      deps.lookup ??
      (config.idempotencyLookupTimeoutMs > 0
        ? storeLookup({
            url: config.eventStoreInternalUrl || config.eventStoreUrl,
            apiKey: outgoingKey(config.eventStoreApiKey, config.apiKeys, "read"),
            timeoutMs: config.idempotencyLookupTimeoutMs,
            onError: (error) => deps.logger.debug({ err: error }, "event store lookup failed"),
          })
        : undefined),
  });

  const principalOf = (request: RequestContext): string => String(request.headers["x-api-key"] ?? "");
  const idempotencyKey = (r: RequestContext): string | undefined => {
    const raw = r.headers["idempotency-key"];
    if (raw === undefined) return undefined;
    const key = String(raw);
    if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
      throw validationError("invalid Idempotency-Key", [
        { field: "Idempotency-Key", reason: "must be 1 to 200 visible ASCII characters" },
      ]);
    }
    return key;
  };
  // If-Match names one stream's expected version: it makes no sense for a batch.
  const noIfMatchOnBatch = (r: RequestContext) => {
    if (r.headers["if-match"] !== undefined)
      throw validationError("If-Match is not supported for a batch", [
        { field: "If-Match", reason: "a batch names no single stream; use expectedVersion per event" },
      ]);
  };

  // X-Correlation-Id ties a client's writes into one story (e.g. a checkout's cart, order and
  // payment), as the process manager's steps carry their starting event's: an event that names
  // its own correlation id keeps it.
  const correlationOf = (r: RequestContext): string | undefined => {
    const raw = r.headers["x-correlation-id"];
    if (raw === undefined) return undefined;
    const id = String(raw);
    if (!/^[\x21-\x7e]{1,200}$/.test(id)) {
      throw validationError("invalid X-Correlation-Id", [
        { field: "X-Correlation-Id", reason: "must be 1 to 200 visible ASCII characters" },
      ]);
    }
    return id;
  };
  const correlate = (event: unknown, correlationId: string | undefined): unknown => {
    if (correlationId === undefined || event === null || typeof event !== "object" || Array.isArray(event))
      return event;
    const e = event as { metadata?: unknown };
    const metadata =
      e.metadata !== null && typeof e.metadata === "object" && !Array.isArray(e.metadata)
        ? (e.metadata as Record<string, unknown>)
        : e.metadata === undefined
          ? {}
          : undefined;
    // Malformed metadata is left as sent, for the schema to refuse.
    if (metadata === undefined || metadata.correlationId !== undefined) return event;
    return { ...e, metadata: { ...metadata, correlationId } };
  };

  const withReadAfter = (a: Accepted) => ({ ...a, readAfter: readAfter(a) });
  const one = (accepted: Accepted[]): HttpResult => {
    const a = accepted[0]!;
    return {
      status: 202,
      headers: { location: a.statusUrl },
      body: { message: "Event published successfully", ...withReadAfter(a) },
    };
  };
  const many = (accepted: Accepted[]): HttpResult => ({
    status: 202,
    body: {
      message: `${accepted.length} events published successfully`,
      count: accepted.length,
      events: accepted.map(withReadAfter),
    },
  });

  // CloudEvents: structured (one event) or batch mode, mapped onto envelopes by the contracts'
  // one mapping; a batch's problems name each event by its index ("/0/type" in a batch of one).
  const cloudEvents = (request: RequestContext): unknown[] => {
    const batch = request.contentType === CE_BATCH;
    if (batch) noIfMatchOnBatch(request);
    const items = batch ? request.body : [request.body];
    if (Array.isArray(items)) limitBatch(items);
    const correlationId = correlationOf(request);
    const mapped = batch ? fromCloudEventBatch(request.body) : fromCloudEvent(request.body);
    if (!mapped.ok) {
      const detail = Array.isArray(items)
        ? "invalid CloudEvent; nothing was published"
        : "a CloudEvents batch must be a JSON array";
      throw validationError(detail, mapped.problems);
    }
    const envelopes = "envelopes" in mapped ? mapped.envelopes : [mapped.envelope];
    if (correlationId !== undefined)
      envelopes.forEach((envelope, index) => {
        const item = (items as unknown[])[index];
        const named = item !== null && typeof item === "object" && "correlationid" in item;
        if (!named) envelope.metadata.correlationId = correlationId;
      });
    return envelopes;
  };
  const limitBatch = (items: unknown[]) => {
    if (items.length === 0)
      throw validationError("the batch is empty", [{ field: "/", reason: "at least one event" }]);
    if (items.length > config.maxBatchEvents) {
      throw validationError("the batch is too large", [
        { field: "/", reason: `at most ${config.maxBatchEvents} events per request, got ${items.length}` },
      ]);
    }
  };

  // POST /api/events takes the user-activity body {userId, eventType, metadata}, a full
  // envelope, or CloudEvents by content type.
  const postEvents = async (request: RequestContext): Promise<HttpResult> => {
    const key = idempotencyKey(request);
    if (request.contentType === CE_STRUCTURED || request.contentType === CE_BATCH) {
      const events = cloudEvents(request);
      const accepted = await ingest.accept({
        events,
        payloads: request.contentType === CE_BATCH ? (request.body as unknown[]) : [request.body],
        idField: "/id",
        idempotencyKey: key,
        principal: principalOf(request),
        expectedVersion: request.expectedVersion,
      });
      return request.contentType === CE_BATCH ? many(accepted) : one(accepted);
    }
    const body = request.body as Record<string, unknown> | null;
    let event: unknown = body;
    if (
      body &&
      typeof body === "object" &&
      !Array.isArray(body) &&
      body.aggregateId === undefined &&
      "userId" in body
    ) {
      // as sent: the envelope it maps to is validated like any other, naming the field
      event = userActivityEnvelope(body as UserActivityRequest);
    }
    return one(
      await ingest.accept({
        events: [correlate(event, correlationOf(request))],
        payloads: [body],
        idempotencyKey: key,
        principal: principalOf(request),
        expectedVersion: request.expectedVersion,
      }),
    );
  };

  const postBatch = async (request: RequestContext): Promise<HttpResult> => {
    noIfMatchOnBatch(request);
    const key = idempotencyKey(request);
    const body = request.body;
    const events = Array.isArray(body)
      ? body
      : body !== null && typeof body === "object"
        ? (body as { events?: unknown }).events
        : undefined;
    if (!Array.isArray(events)) {
      throw validationError("expected an array of envelopes", [
        { field: "/events", reason: "must be an array" },
      ]);
    }
    limitBatch(events);
    const correlationId = correlationOf(request);
    return many(
      await ingest.accept({
        events: events.map((e) => correlate(e, correlationId)),
        idempotencyKey: key,
        principal: principalOf(request),
      }),
    );
  };

  const routes: Route[] = [
    {
      method: "POST",
      path: "/api/events",
      accepts: [...JSON_TYPES, CE_STRUCTURED, CE_BATCH],
      handler: postEvents,
      scope: "write",
      ifMatch: true,
    },
    { method: "POST", path: "/api/events/batch", accepts: JSON_TYPES, handler: postBatch, scope: "write" },
    {
      method: "POST",
      path: "/api/cloudevents",
      accepts: [CE_STRUCTURED, CE_BATCH],
      handler: postEvents,
      scope: "write",
      ifMatch: true,
    },
    ...commandRoutes.map((command): Route => ({
      method: command.method,
      path: command.path,
      accepts: JSON_TYPES,
      bodyOptional: true,
      scope: "write",
      ifMatch: true,
      handler: async (request) => {
        if (
          request.body !== undefined &&
          (request.body === null || typeof request.body !== "object" || Array.isArray(request.body))
        ) {
          throw validationError("the request body must be a JSON object", [
            { field: "body", reason: "must be an object" },
          ]);
        }
        const key = idempotencyKey(request);
        const principal = principalOf(request);
        const newId = key ? (name: string) => idFromKey(principal, key, name) : () => randomUUID();
        const { partial } = commandEnvelope(command, request.params, request.body, newId);
        const accepted = await ingest.accept({
          events: [correlate(partial, correlationOf(request))],
          payloads: [
            { route: `${command.method} ${command.path}`, params: request.params, body: request.body },
          ],
          idempotencyKey: key,
          principal,
          expectedVersion: request.expectedVersion,
        });
        const result = one(accepted);
        const idName = "field" in command.id ? command.id.field : "aggregateId";
        (result.body as Record<string, unknown>)[idName] = accepted[0]!.aggregateId;
        for (const field of command.answers ?? [])
          (result.body as Record<string, unknown>)[field] = (partial.data as Record<string, unknown>)[field];
        return result;
      },
    })),
  ];

  return createHttpApp({
    routes,
    logger: deps.logger,
    metrics: deps.metrics,
    tracer: deps.tracer,
    bodyLimitBytes: config.bodyLimitBytes,
    ...httpPolicy(config),
    readiness: { kafka: () => deps.publisher.connected() },
  });
}
