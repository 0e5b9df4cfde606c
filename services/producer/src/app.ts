import { timingSafeEqual } from "node:crypto";
import { fromCloudEvent } from "@eventscope/contracts";
import {
  createHttpApp,
  topicNames,
  unauthorized,
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
import { createIngest, type Accepted } from "./ingest.ts";
import type { ProducerConfig } from "./config.ts";

export interface ProducerDeps {
  config: ProducerConfig;
  publisher: Publisher;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

const JSON_TYPES = ["application/json"];
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
  });
  const keys = config.apiKeys.map((k) => Buffer.from(k));

  const principalOf = (request: RequestContext): string => String(request.headers["x-api-key"] ?? "");
  const guard = (request: RequestContext) => {
    if (keys.length === 0) return;
    const given = Buffer.from(principalOf(request));
    if (!keys.some((k) => k.length === given.length && timingSafeEqual(k, given))) {
      throw unauthorized("a valid X-API-Key header is required for write routes");
    }
  };
  const idempotencyKey = (r: RequestContext) => r.headers["idempotency-key"] as string | undefined;
  const expectedVersionHeader = (r: RequestContext): number | undefined => {
    const raw = r.headers["if-match"];
    if (raw === undefined) return undefined;
    const n = Number(String(raw).replaceAll('"', ""));
    if (!Number.isInteger(n) || n < 0) {
      throw validationError("If-Match must be the stream's expected version", [
        { field: "If-Match", reason: "must be a non-negative integer (the stream's current version)" },
      ]);
    }
    return n;
  };

  const one = (accepted: Accepted[]): HttpResult => {
    const a = accepted[0]!;
    return {
      status: 202,
      headers: { location: a.statusUrl },
      body: { message: "Event published successfully", ...a },
    };
  };
  const many = (accepted: Accepted[]): HttpResult => ({
    status: 202,
    body: {
      message: `${accepted.length} events published successfully`,
      count: accepted.length,
      events: accepted,
    },
  });

  // CloudEvents: structured (one event) or batch mode, mapped onto envelopes.
  const cloudEvents = (request: RequestContext): unknown[] => {
    const items = request.contentType === CE_BATCH ? request.body : [request.body];
    if (!Array.isArray(items)) {
      throw validationError("a CloudEvents batch must be a JSON array", [
        { field: "/", reason: "must be an array" },
      ]);
    }
    limitBatch(items);
    return items.map((item, index) => {
      const mapped = fromCloudEvent(item);
      if (mapped.ok) return mapped.envelope;
      const prefix = items.length > 1 ? `/${index}` : "";
      throw validationError(
        "invalid CloudEvent; nothing was published",
        mapped.problems.map((p) => ({ ...p, field: prefix + p.field })),
      );
    });
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
    if (request.contentType === CE_STRUCTURED || request.contentType === CE_BATCH) {
      const events = cloudEvents(request);
      const accepted = await ingest.accept({
        events,
        idempotencyKey: idempotencyKey(request),
        principal: principalOf(request),
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
      const { userId, eventType, metadata, eventId, timestamp } = body;
      event = {
        eventType,
        aggregateType: "User",
        aggregateId: userId,
        data: metadata ?? {},
        ...(eventId !== undefined ? { eventId } : {}),
        ...(timestamp !== undefined ? { timestamp } : {}),
        ...(typeof userId === "string" ? { metadata: { userId } } : {}),
      };
    }
    return one(
      await ingest.accept({
        events: [event],
        idempotencyKey: idempotencyKey(request),
        principal: principalOf(request),
      }),
    );
  };

  const postBatch = async (request: RequestContext): Promise<HttpResult> => {
    const body = request.body as { events?: unknown } | unknown[];
    const events = Array.isArray(body) ? body : body.events;
    if (!Array.isArray(events)) {
      throw validationError("expected an array of envelopes", [
        { field: "/events", reason: "must be an array" },
      ]);
    }
    limitBatch(events);
    return many(
      await ingest.accept({
        events,
        idempotencyKey: idempotencyKey(request),
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
    },
    { method: "POST", path: "/api/events/batch", accepts: JSON_TYPES, handler: postBatch },
    { method: "POST", path: "/api/cloudevents", accepts: [CE_STRUCTURED, CE_BATCH], handler: postEvents },
    ...commandRoutes.map((command): Route => ({
      method: command.method,
      path: command.path,
      accepts: JSON_TYPES,
      bodyOptional: true,
      handler: async (request) => {
        if (
          request.body !== undefined &&
          (request.body === null || typeof request.body !== "object" || Array.isArray(request.body))
        ) {
          throw validationError("the request body must be a JSON object", [
            { field: "body", reason: "must be an object" },
          ]);
        }
        const { partial } = commandEnvelope(command, request.params, request.body);
        const accepted = await ingest.accept({
          events: [partial],
          idempotencyKey: idempotencyKey(request),
          principal: principalOf(request),
          expectedVersion: expectedVersionHeader(request),
        });
        const result = one(accepted);
        const idName = "field" in command.id ? command.id.field : "aggregateId";
        (result.body as Record<string, unknown>)[idName] = accepted[0]!.aggregateId;
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
    guard,
    readiness: { kafka: () => deps.publisher.connected() },
  });
}
