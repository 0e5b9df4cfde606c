// What every service answers because the platform gives it: problems (RFC 7807) and the door's
// answers, health, metrics, consumer lag and dead letters, the API-key scheme.
import { commonSettings, scopes } from "@eventscope/platform";
import {
  okResponse,
  param,
  pathParam,
  pRef,
  problemResponse,
  problems,
  responseRef,
  type Operation,
  type Service,
} from "./openapi.ts";
import {
  arrayOf,
  bool,
  dateTime,
  enumOf,
  int,
  object,
  orNull,
  record,
  ref,
  str,
  uuid,
  type Json,
} from "./schema.ts";

export const DEMO_KEY = "eventscope-demo-key";

const problemCodes = [
  "VALIDATION_FAILED",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "CONFLICT",
  "IDEMPOTENCY_CONFLICT",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "RATE_LIMITED",
  "UNAVAILABLE",
  "INTERNAL",
];

/** The HTTP settings every service shares, with their defaults (commonSettings). */
export const serverDefaults = {
  requestTimeoutMs: commonSettings.httpRequestTimeoutMs.default,
  headersTimeoutMs: commonSettings.httpHeadersTimeoutMs.default,
  keepAliveTimeoutMs: commonSettings.httpKeepAliveTimeoutMs.default,
  maxConnections: commonSettings.httpMaxConnections.default,
  jsonMaxDepth: commonSettings.jsonMaxDepth.default,
  rateLimitWritesPerMinute: commonSettings.rateLimitWritesPerMinute.default,
};

/** Problem and FieldProblem: the body of every 4xx and 5xx. */
export function problemSchemas(): Record<string, Json> {
  return {
    Problem: {
      type: "object",
      description:
        "RFC 7807 problem details (`application/problem+json`). Some problems add fields of their own " +
        "(e.g. `requiredScope`, `eventIds`, `allowed`, `customerId`, `projections`, `deliveryStatus`, " +
        "`subscriptionStatus`).",
      required: ["type", "title", "status"],
      properties: {
        type: str("Problem type URI, https://eventscope.dev/problems/<code> (about:blank for 500)", {
          examples: ["https://eventscope.dev/problems/validation-failed"],
        }),
        title: str("HTTP reason phrase", { examples: ["Bad Request"] }),
        status: int("HTTP status"),
        detail: str("What went wrong"),
        code: str("Stable error code", { examples: problemCodes }),
        retriable: bool("Whether retrying the same request can succeed"),
        errors: arrayOf(ref("FieldProblem"), "One entry per offending field"),
        instance: str("The request path"),
        requiredScope: enumOf(scopes, "401 and 403: the scope the route needs"),
        eventIds: arrayOf(uuid(), "409 IDEMPOTENCY_CONFLICT: the ids used before with another payload"),
        allowed: arrayOf(str(), "405: the methods the path answers (also in the Allow header)"),
      },
      additionalProperties: true,
    },
    FieldProblem: record({
      field: str("JSON pointer (or header/parameter name) of the offending field", {
        examples: ["/data/email"],
      }),
      reason: str("What is wrong with it"),
    }),
  };
}

/** A parked message, as every consuming service lists and replays it. */
export function deadLetterSchemas(): Record<string, Json> {
  const deadLetter = record({
    id: str("Dead-letter id (an integer as a string)", { pattern: "^[0-9]+$" }),
    topic: str("Topic the message came from"),
    partition: int(),
    offset: str("Offset of the message", { pattern: "^[0-9]+$" }),
    key: orNull(str("Record key (the aggregate id)")),
    value: orNull(str("Record value as UTF-8 text")),
    headers: { type: "object", additionalProperties: { type: "string" }, description: "Record headers" },
    reason: str("Why it was parked (e.g. `malformed: ...`)"),
    parkedAt: dateTime(),
    replayedAt: orNull(dateTime("When it was sent back to its topic")),
  });
  return {
    DeadLetter: {
      ...deadLetter,
      description: "A message a consumer could not process, parked with its reason.",
    },
    DeadLetterList: record({ count: int(), deadLetters: arrayOf(ref("DeadLetter")) }),
  };
}

/** What the health routes answer. */
export function healthSchemas(): Record<string, Json> {
  return {
    Live: record({ status: enumOf(["live"]) }),
    Ready: object(
      {
        status: enumOf(["ready", "not ready"]),
        checks: {
          type: "object",
          additionalProperties: { type: "boolean" },
          description:
            "Each readiness check (kafka, postgres, consumer, and on the consuming services `partitions`: " +
            "false while a partition has lag and its committed offset has not moved for LAG_STUCK_AFTER_MS)",
        },
        details: {
          type: "object",
          additionalProperties: true,
          description:
            "Why a failing check fails, by check; `partitions.stuck` lists {group, topic, partition, " +
            "committed, lag, stuckSeconds}",
        },
      },
      ["status", "checks"],
    ),
  };
}

/**
 * The shared answers (components.responses), the producer's and the notification service's own
 * among them where the document has always listed them. `bodyLimit`: the producer's
 * BODY_LIMIT_BYTES default.
 */
export function responses(bodyLimit: number): Record<string, Json> {
  return {
    BadRequest: problemResponse(
      "Malformed or invalid request; `errors` names each offending field: a JSON pointer into the body " +
        "(`/data/email`, `/1/data/title`, `/a\\u0000`), `body`, a path or query parameter's name, or a " +
        "header (`If-Match`, `Idempotency-Key`). Input is taken as sent or refused, never repaired: a body " +
        "that is not valid UTF-8, not JSON, or nested deeper than JSON_MAX_DEPTH " +
        `(${serverDefaults.jsonMaxDepth}) levels (\`body\`); ` +
        "a number a double cannot hold exactly (`1e400`, an integer beyond 2^53 - 1) or a string or " +
        "field name holding NUL or a lone surrogate (its pointer); a path or query parameter that is not " +
        "valid percent-encoded UTF-8 or holds NUL or a lone surrogate (its name); an integer parameter " +
        "that is not plain decimal within its range (`limit=0`, `limit=0x10`); a date that is not ISO 8601 " +
        "with a four-digit year; an If-Match that is not the expected version, or one sent to a route " +
        "that takes none. Nothing is written.",
    ),
    Unauthorized: problemResponse(
      "No X-API-Key, or one API_KEYS does not list (only when API_KEYS is set). `requiredScope` names " +
        "the scope the route needs; `errors` names X-API-Key.",
    ),
    Forbidden: problemResponse(
      "The X-API-Key is valid but lacks the route's scope. `requiredScope` names it; `errors` names X-API-Key.",
    ),
    NotFound: problemResponse("Not found"),
    Conflict: problemResponse("Conflict with the current state"),
    IdempotencyConflict: problemResponse(
      "IDEMPOTENCY_CONFLICT: an id (the body's `eventId`, a CloudEvent's `id`, or the id an " +
        "Idempotency-Key stands for) was accepted before with a different payload; nothing was published. " +
        "`errors` names where the id came from (`/eventId`, `/2/id`, `/1/eventId`, `Idempotency-Key`) and " +
        "`eventIds` lists the ids. The producer knows from its cache of recent ids or by asking the event " +
        "store (IDEMPOTENCY_LOOKUP_TIMEOUT_MS). When neither can tell in time (the store unreachable, the " +
        "first copy still on its way) the event is published, the store keeps the first copy, and the " +
        "status at `statusUrl` shows the stored payloadHash to compare with the 202's.",
    ),
    PayloadTooLarge: problemResponse(
      `Body larger than the limit (the producer's BODY_LIMIT_BYTES, default ${bodyLimit}; ` +
        "256 KiB on the other services); `errors` names `body`; the connection is closed.",
    ),
    UnsupportedMediaType: problemResponse(
      "Content type not accepted by this route, or a charset other than UTF-8; `errors` names `content-type`.",
    ),
    Unavailable: problemResponse(
      "The event was not sent: the producer is not connected to Kafka, takes the broker for down after a " +
        "failed produce request, or could not hand the event over within PUBLISH_TIMEOUT_MS. Nothing was " +
        "accepted. Retry later",
      {
        headers: { "Retry-After": { $ref: "#/components/headers/RetryAfter" } },
      },
    ),
    PublishInDoubt: problemResponse(
      "PUBLISH_IN_DOUBT: the event was handed to Kafka but no acknowledgement came within " +
        "PUBLISH_TIMEOUT_MS (or the produce request failed): it may or may not be stored. Retrying with the " +
        "same `eventId` or Idempotency-Key is safe (the store keeps one copy); the event's status URL tells.",
      { headers: { "Retry-After": { $ref: "#/components/headers/RetryAfter" } } },
    ),
    ResolverUnavailable: problemResponse(
      "The DNS resolver did not answer for the URL's host (a timeout, not a name that does not exist); " +
        "nothing was changed. Retry later",
      { headers: { "Retry-After": { $ref: "#/components/headers/RetryAfter" } } },
    ),
    MethodNotAllowed: problemResponse(
      "405 on every service: the path exists but does not answer this method (`METHOD_NOT_ALLOWED`); " +
        "the Allow header and `allowed` list the methods it answers.",
      { headers: { Allow: { $ref: "#/components/headers/Allow" } } },
    ),
    TooManyRequests: problemResponse(
      "429 on every service's write routes (POST, PUT, PATCH, DELETE) when RATE_LIMIT_WRITES_PER_MINUTE " +
        `is set (default ${serverDefaults.rateLimitWritesPerMinute}: no limit): the X-API-Key (without ` +
        "API_KEYS, the client's address) made that many writes in the current minute (`RATE_LIMITED`, " +
        "retriable; `limit`, `windowSeconds`; `errors` names X-API-Key or `client address`). Nothing was " +
        "written. Reads are never counted; a key refused with 401 counts against nobody. Every counted " +
        "write also answers RateLimit and RateLimit-Policy (IETF draft 7).",
      { headers: { "Retry-After": { $ref: "#/components/headers/RetryAfter" } } },
    ),
    RequestTimeout: {
      description:
        `408 on every service, with no body and the connection closed: the request (headers and body) ` +
        `did not arrive within HTTP_REQUEST_TIMEOUT_MS (${serverDefaults.requestTimeoutMs}), or its ` +
        `headers within HTTP_HEADERS_TIMEOUT_MS (${serverDefaults.headersTimeoutMs}). Node checks open ` +
        "requests every 30 s, so the answer can come that much later.",
    },
    Error: problemResponse("Unexpected error (500, `INTERNAL`, retriable)"),
  };
}

/** The parameters every listing shares. */
export function pagingParameters(): Record<string, Json> {
  return {
    Limit: param(
      "limit",
      "query",
      int("", { minimum: 1, maximum: 1000, default: 100 }),
      "Most items returned: plain decimal, 1 to 1000 (`limit=0` is a 400, never read as 1)",
    ),
    All: param("all", "query", bool(), "Include messages already replayed"),
    Offset: param(
      "offset",
      "query",
      int("", { minimum: 0, maximum: 10_000_000, default: 0 }),
      "Items skipped",
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// OpenAPI: the route table

/** Dead letters: every consuming service lists the messages it parked and sends one back. */
export function deadLetterOperations(
  service: Service,
  base: string,
  prefix: string,
  from: string,
): Operation[] {
  return [
    {
      service,
      method: "GET",
      path: base,
      operationId: `${prefix}DeadLetters`,
      summary: `Messages of ${from} this service parked`,
      parameters: [pRef("Limit"), pRef("All")],
      responses: {
        "200": okResponse("Parked messages, oldest first", ref("DeadLetterList")),
        ...problems(400),
      },
    },
    {
      service,
      method: "POST",
      path: `${base}/:id/replay`,
      operationId: `${prefix}ReplayDeadLetter`,
      summary: "Send a parked message back to its topic",
      description:
        "A parked message that held an erased data subject's personal data (CustomerDeleted, CustomerErased) " +
        'keeps a stub in its place (value {"erased":true,"erasedBy":{"eventType":...,"eventId":...}}, the reason ' +
        'ending "(erased: <event type> <event id>)") and is not replayed: 409 DEAD_LETTER_ERASED.',
      pathParams: { id: pathParam("Dead-letter id", str("", { pattern: "^[0-9]{1,18}$" })) },
      responses: {
        "200": okResponse("The message, marked replayed", ref("DeadLetter")),
        ...problems(404, 409),
      },
    },
  ];
}

/** Health, metrics and consumer lag, on every service (`consumers`: those that answer /lag). */
export function builtinOperations(all: Service[], consumers: Service[]): Operation[] {
  return [
    {
      service: all,
      method: "GET",
      path: "/health/live",
      operationId: "live",
      summary: "Liveness (every service)",
      responses: { "200": okResponse("The process answers", ref("Live")), "400": responseRef("BadRequest") },
    },
    {
      service: all,
      method: "GET",
      path: "/health/ready",
      operationId: "ready",
      summary:
        "Readiness (every service): Kafka for the producer, PostgreSQL and the consumer for the others",
      responses: {
        "200": okResponse("Ready", ref("Ready")),
        "400": responseRef("BadRequest"),
        "503": okResponse("Not ready: a check failed", ref("Ready")),
      },
    },
    {
      service: consumers,
      method: "GET",
      path: "/lag",
      operationId: "consumerLag",
      summary:
        "Consumer lag of this service's group: messages, seconds (age of the oldest unconsumed message) and a Burrow-style verdict",
      parameters: [
        {
          name: "fresh",
          in: "query",
          required: false,
          schema: { type: "boolean" },
          description: "true: take a sample now instead of answering with the last one",
        },
      ],
      responses: {
        "200": okResponse("Lag per group, topic and partition", {
          type: "object",
          required: ["groups"],
          properties: {
            groups: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  group: { type: "string" },
                  topic: { type: "string" },
                  verdict: { type: "string", enum: ["OK", "WARNING", "STALL", "STOP"] },
                  lag: { type: "integer", description: "messages not yet consumed" },
                  lagSeconds: {
                    type: ["number", "null"],
                    description: "age of the oldest unconsumed message",
                  },
                  partitions: {
                    type: "array",
                    items: {
                      type: "object",
                      properties: {
                        partition: { type: "integer" },
                        committed: { type: "string" },
                        high: { type: "string" },
                        lag: { type: "integer" },
                        lagSeconds: { type: ["number", "null"] },
                        verdict: { type: "string", enum: ["OK", "WARNING", "STALL", "STOP"] },
                      },
                    },
                  },
                },
              },
            },
          },
        }),
        "400": responseRef("BadRequest"),
      },
    },
    {
      service: all,
      method: "GET",
      path: "/metrics",
      operationId: "metrics",
      summary: "Prometheus metrics (every service), OpenMetrics with exemplars",
      responses: {
        "200": {
          description: "The service's metrics",
          content: { "application/openmetrics-text": { schema: { type: "string" } } },
        },
        "400": responseRef("BadRequest"),
      },
    },
  ];
}

export const headers = (): Record<string, Json> => ({
  StatusLocation: {
    description: "The statusUrl of the (first) event",
    schema: str("", { format: "uri" }),
  },
  Traceparent: { description: "W3C trace context of the request's trace", schema: str() },
  Allow: { description: "The methods the path answers", schema: str("", { examples: ["GET, POST"] }) },
  RetryAfter: { description: "Seconds to wait before retrying", schema: int("", { minimum: 0 }) },
});

export const securitySchemes = (): Record<string, Json> => ({
  ApiKey: {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description:
      "Keys and their scopes come from API_KEYS: `key:scope+scope,...`, e.g. " +
      "`writer-key:write+read,ops-key:admin`; a key listed without scopes holds all three. Scopes " +
      "are independent (`admin` does not imply `read`): `write` for every state change on the " +
      "producer; `read` for the event store's events, streams, feed, replay and rejections, " +
      "personal data on the projection (user activity, customers), deliveries, processes, and " +
      "every dead-letter list; `admin` for webhook subscriptions, projection rebuilds, delivery replays " +
      "and every dead-letter replay. Each operation's security requirement names its scope. " +
      "401 (no key, or an unknown one) and 403 (a key without the scope) are problems naming " +
      "X-API-Key with `requiredScope`. Keys are compared as HMAC-SHA256 digests, in constant time, " +
      `against every configured key. The demo stack uses \`${DEMO_KEY}\` (all scopes). With ` +
      "API_KEYS empty every route is open and the service logs a warning.",
  },
});
