// The producer's part of the documents: its routes (the user-activity, envelope, CloudEvents and
// batch doors, and one command route per seed event), the bodies it takes and the answers it gives.
import { activityEventTypePattern, storedEventType } from "@eventscope/contracts";
import { asyncOperation } from "../../../docs/lib/asyncapi.ts";
import { aliasNote, events, payloadHashSchema } from "../../../docs/lib/events.ts";
import {
  content,
  header,
  okResponse,
  param,
  pathParam,
  pRef,
  problems,
  responseRef,
  routeTableDeps,
  stub,
  toOpenApiPath,
  type Operation,
  type ServiceDocs,
} from "../../../docs/lib/openapi.ts";
import {
  arrayOf,
  bool,
  dateTime,
  int,
  object,
  published,
  record,
  ref,
  str,
  uuid,
  type Json,
} from "../../../docs/lib/schema.ts";
import { createProducerApp } from "./app.ts";
import { commandRoutes, type CommandRoute } from "./commands.ts";
import { producerSettings, readProducerConfig } from "./config.ts";

const acceptedHeaders = { Location: header("StatusLocation"), traceparent: header("Traceparent") };
const writeProblems = {
  ...problems(413, 415, 503),
  "409": responseRef("IdempotencyConflict"),
  "504": responseRef("PublishInDoubt"),
};

const idParams = { id: pathParam("Aggregate id") };

const idempotencyNote =
  "An id the client chose (`eventId`, a CloudEvent's `id`, or the one an Idempotency-Key stands for) that " +
  "was accepted before is answered as the first time when the payload is the same (`duplicate: true`, " +
  "nothing published again) and with a 409 IDEMPOTENCY_CONFLICT when it differs; one id twice in a " +
  "request is a 400 (`/1/eventId`: repeats the id of event /0).";

const cloudEventsNote =
  "A CloudEvent's problems name its attributes (`/type`, `/data/title`); a CloudEvents batch's name every " +
  "invalid event by its index, in a batch of one too (`/0/data/title`).";

function operations(): Operation[] {
  const maxBatch = producerSettings.maxBatchEvents.default;
  const envelopeOrBatch = (batch: boolean): Json => ({
    "application/cloudevents+json": { schema: ref("CloudEvent") },
    ...(batch
      ? {
          "application/cloudevents-batch+json": {
            schema: { ...arrayOf(ref("CloudEvent")), minItems: 1, maxItems: maxBatch },
          },
        }
      : {}),
  });
  const common = [pRef("IdempotencyKey"), pRef("CorrelationId")];
  const base: Operation[] = [
    {
      service: "producer",
      method: "POST",
      path: "/api/events",
      operationId: "publishEvent",
      summary: "Publish an event (user activity, an envelope, or CloudEvents)",
      description:
        "Takes the user-activity seed's body `{userId, eventType, metadata}`, a full envelope, a " +
        "structured CloudEvent (`application/cloudevents+json`) or a CloudEvents batch " +
        `(\`application/cloudevents-batch+json\`, at most ${maxBatch} events: answered with AcceptedBatch). ` +
        "Validated against the event type's data schema; nothing is published when anything is invalid. " +
        `${cloudEventsNote} ${aliasNote} ` +
        idempotencyNote +
        " If-Match applies to one event; with a CloudEvents batch it is a 400.",
      parameters: [pRef("IfMatch"), ...common],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: { anyOf: [ref("UserActivityRequest"), ref("EventEnvelopeInput")] },
            examples: {
              activity: {
                value: { userId: "user123", eventType: "login", metadata: { ipAddress: "192.168.1.1" } },
              },
            },
          },
          ...envelopeOrBatch(true),
        },
      },
      responses: {
        "202": {
          description: "Accepted (AcceptedBatch for a CloudEvents batch)",
          headers: acceptedHeaders,
          content: content({ anyOf: [ref("Accepted"), ref("AcceptedBatch")] }),
        },
        ...writeProblems,
      },
    },
    {
      service: "producer",
      method: "POST",
      path: "/api/events/batch",
      operationId: "publishBatch",
      summary: "Publish a batch of envelopes (all or nothing)",
      description:
        `At most ${maxBatch} envelopes, as \`{events: [...]}\` or a bare array. All are validated first: one ` +
        "invalid event refuses the batch (`/1/data/title`), as does a body that is no array (`/events`). " +
        idempotencyNote +
        " If-Match is a 400 here: a batch names no single stream (use `expectedVersion` per envelope).",
      parameters: common,
      requestBody: {
        required: true,
        content: content({
          anyOf: [
            object({ events: { ...arrayOf(ref("EventEnvelopeInput")), minItems: 1, maxItems: maxBatch } }, [
              "events",
            ]),
            { ...arrayOf(ref("EventEnvelopeInput")), minItems: 1, maxItems: maxBatch },
          ],
        }),
      },
      responses: {
        "202": okResponse("Accepted", ref("AcceptedBatch"), { traceparent: header("Traceparent") }),
        ...writeProblems,
      },
    },
    {
      service: "producer",
      method: "POST",
      path: "/api/cloudevents",
      operationId: "publishCloudEvents",
      summary: "Publish CloudEvents (structured or batch mode)",
      description:
        `A non-UUID \`id\` is mapped to a name-based UUID. ${cloudEventsNote} ` +
        idempotencyNote +
        " If-Match applies to one event; with a batch it is a 400.",
      parameters: [pRef("IfMatch"), ...common],
      requestBody: { required: true, content: envelopeOrBatch(true) },
      responses: {
        "202": {
          description: "Accepted (AcceptedBatch for a batch)",
          headers: acceptedHeaders,
          content: content({ anyOf: [ref("Accepted"), ref("AcceptedBatch")] }),
        },
        ...writeProblems,
      },
    },
  ];
  return [...base, ...commandRoutes.map((command) => commandDocs(command).operation)];
}

/** A command route and, when its body is not the event's data as it stands, the body's schema. */
interface CommandDocs {
  operation: Operation;
  body?: [name: string, schema: Json];
}

/** A command route: its body is the event's data minus the id (and generated) fields. */
/** A command route: its body is the event's data minus the id (and generated) fields. */
function commandDocs(command: CommandRoute): CommandDocs {
  // An alias (eventAliases) is validated against, and stored as, the event type it names.
  const stored = storedEventType(command.eventType);
  const alias = stored !== command.eventType;
  const dataSchema = events[stored];
  if (!dataSchema) throw new Error(`${command.path}: no schema for ${command.eventType}`);
  const generated = Object.keys(command.extra?.() ?? {});
  const idField = "field" in command.id ? command.id.field : undefined;
  let body: Json = ref(command.eventType);
  let schema: Json = dataSchema;
  let own: CommandDocs["body"];
  if (alias || idField !== undefined || generated.length > 0) {
    const properties = { ...(dataSchema.properties as Record<string, Json>) };
    for (const name of generated) delete properties[name];
    if (idField !== undefined && !(idField in properties))
      properties[idField] = str(`Id of the new ${command.aggregateType} (generated when absent)`, {
        minLength: 1,
        maxLength: 200,
      });
    const required = ((dataSchema.required as string[] | undefined) ?? []).filter(
      (r) => !generated.includes(r),
    );
    schema = {
      ...published(dataSchema),
      title: `${command.eventType}Request`,
      description:
        `The body of ${command.method} ${toOpenApiPath(command.path)}: the data of \`${command.eventType}\`` +
        (alias ? ` (accepted and stored as \`${stored}\`)` : "") +
        (idField ? `, with the aggregate id as \`${idField}\` (generated when absent)` : "") +
        (generated.length > 0
          ? `; ${generated.map((g) => `\`${g}\``).join(", ")} generated by the route`
          : "") +
        ".",
      required,
      properties,
    };
    own = [`${command.eventType}Request`, schema];
    body = ref(`${command.eventType}Request`);
  }
  const bodyRequired =
    ((schema.required as string[] | undefined) ?? []).length > 0 || Number(schema.minProperties ?? 0) > 0;
  const idName = idField ?? "aggregateId";
  const answered: Record<string, Json> = {
    ...(idField === undefined ? {} : { [idField]: str("Same as aggregateId") }),
    ...Object.fromEntries((command.answers ?? []).map((f) => [f, str(`The \`${f}\` the route generated`)])),
  };
  const acceptedSchema: Json =
    Object.keys(answered).length === 0
      ? ref("Accepted")
      : { allOf: [ref("Accepted"), object(answered, Object.keys(answered))] };
  const where =
    idField !== undefined
      ? `the new aggregate's id comes from the body field \`${idField}\` (generated when absent) and is echoed as \`${idName}\``
      : "the aggregate id is the `{id}` path segment";
  const operation: Operation = {
    service: "producer",
    method: command.method,
    path: command.path,
    operationId: `send${command.eventType}`,
    summary: `Record ${command.eventType} (${command.aggregateType})`,
    description:
      `Records a \`${command.eventType}\` event on the \`${command.aggregateType}\` aggregate; ${where}. ` +
      (alias ? `\`${command.eventType}\` is accepted and stored as \`${stored}\`. ` : "") +
      `The body is the event's data, validated against \`${stored}\`` +
      (bodyRequired ? "." : "; it may be left out.") +
      " 202 means the broker acknowledged it; the store decides it next (see `statusUrl`).",
    parameters: [pRef("IfMatch"), pRef("IdempotencyKey"), pRef("CorrelationId")],
    pathParams: idParams,
    requestBody: { required: bodyRequired, content: content(body) },
    responses: {
      "202": okResponse("Accepted", acceptedSchema, acceptedHeaders),
      ...writeProblems,
    },
    extra: { "x-event-type": command.eventType, "x-aggregate-type": command.aggregateType },
  };
  return own ? { operation, body: own } : { operation };
}

function schemas(): Record<string, Json> {
  const accepted = {
    eventId: uuid("Id of the accepted event (stamped when the client sent none)"),
    aggregateId: str("Aggregate the event belongs to"),
    eventType: str(),
    statusUrl: str(
      "Where the event's fate (pending, committed, rejected) can be read: the event store's status route",
      {
        format: "uri",
      },
    ),
    duplicate: bool(
      "True when this event id was accepted before with the same payload (a retried request; key order " +
        "does not matter): the same eventId and statusUrl, nothing published again",
    ),
    payloadHash: payloadHashSchema(
      "`sha256:<hex>` of the payload as sent (sorted-key JSON, with the If-Match version); the stored " +
        "event carries it as metadata.payloadHash, so the status shows which copy was kept",
    ),
    readAfter: record(
      {
        afterEventId: uuid(
          "Pass it to a read (afterEventId=) to see this write: the read waits until it is applied",
        ),
        path: str(
          "The read model route of the event's aggregate with afterEventId, relative to the front door",
          {
            examples: ["/api/orders/o-1?afterEventId=3f1c2a9e-0000-4000-8000-000000000001"],
          },
        ),
      },
      "Read-your-writes: what a client's next read names to wait for this write (path when a read model folds the event)",
    ),
  };
  return {
    UserActivityRequest: object(
      {
        userId: str("The user (the aggregate id)", { minLength: 1, maxLength: 200 }),
        eventType: str("A lowercase activity type", {
          pattern: activityEventTypePattern,
          examples: ["login"],
        }),
        metadata: { type: "object", description: "Free-form data of the event" },
        eventId: uuid("Optional client-chosen id"),
        timestamp: dateTime("Optional event time"),
      },
      ["userId", "eventType"],
      "The user-activity seed's body: recorded as an event of the User aggregate, with `metadata` as its data.",
    ),
    CloudEvent: object(
      {
        specversion: str("", { const: "1.0" }),
        id: str("Any id unique within its source; a non-UUID id is mapped to a name-based UUID"),
        source: str("Becomes metadata.source"),
        type: str("The event type"),
        subject: str("`<aggregateType>/<aggregateId>` (used when aggregateid/aggregatetype are absent)"),
        time: dateTime("Event time (now when absent)"),
        datacontenttype: str("JSON only", { examples: ["application/json"] }),
        data: { type: "object", description: "The event's data (see EventData)" },
        aggregatetype: str(),
        aggregateid: str(),
        correlationid: str(),
        causationid: str(),
        userid: str(),
        traceparent: str(),
        tracestate: str(),
        acceptedat: dateTime(),
        metadata: str("Other metadata fields, as a JSON object in a string"),
        streamversion: int("Expected stream version + 1", { minimum: 1 }),
      },
      ["specversion", "id", "source", "type"],
      "CloudEvents 1.0 structured mode; the envelope's own fields travel as extension attributes.",
    ),
    AcceptedEvent: record(accepted, "One accepted event."),
    Accepted: record(
      { message: str("", { examples: ["Event published successfully"] }), ...accepted },
      "The event was acknowledged by the broker; the event store decides it next.",
    ),
    AcceptedBatch: record({
      message: str("", { examples: ["3 events published successfully"] }),
      count: int(),
      events: arrayOf(ref("AcceptedEvent")),
    }),
  };
}

export const producerDocs: ServiceDocs = {
  service: "producer",
  title: "Producer",
  port: producerSettings.port.default,
  description:
    "Validates events (schema, size, API key), stamps the envelope and publishes it to `events.ingest`; " +
    "answers 202 only once the broker acknowledged.",
  consumer: false,
  routes: () =>
    createProducerApp({ ...routeTableDeps("producer"), config: readProducerConfig({}), publisher: stub })
      .routes,
  operations,
  schemas,
  requestSchemas: () => {
    const bodies: Record<string, Json> = {};
    for (const { body } of commandRoutes.map(commandDocs)) if (body) bodies[body[0]] = body[1];
    return bodies;
  },
  parameters: () => ({
    CorrelationId: param(
      "X-Correlation-Id",
      "header",
      str("", { pattern: "^[\\x21-\\x7e]{1,200}$" }),
      "Becomes metadata.correlationId of every event of the request that names none of its own, so a " +
        "client's writes (a cart, its order, the payment) tell one story: GET /api/eventstore/correlation/{id}. " +
        "1 to 200 visible ASCII characters (400 naming X-Correlation-Id otherwise).",
    ),
    IfMatch: param(
      "If-Match",
      "header",
      str("", { pattern: '^(?:[0-9]{1,9}|"[0-9]{1,9}")$' }),
      "Expected current version of the stream (optimistic concurrency); the store rejects the event " +
        'with WRONG_EXPECTED_VERSION when the stream is elsewhere. 1 to 9 digits, bare or quoted (`3` or `"3"`); ' +
        'anything else (`""`, `0x10`, 20 digits) is a 400 naming If-Match, as is If-Match on a batch or on a ' +
        "route that takes no expected version.",
    ),
    IdempotencyKey: param(
      "Idempotency-Key",
      "header",
      str("", { pattern: "^[\\x21-\\x7e]{1,200}$" }),
      "Names the request: 1 to 200 visible ASCII characters (400 naming Idempotency-Key otherwise). The " +
        "same key (per API key) always yields the same event id, and the ids a route generates (a new " +
        "aggregate's id, a checkout's orderId) derive from it too: a retry with the same payload is " +
        "answered as the first time (`duplicate: true`, same eventId, nothing published again); the same " +
        "key with another payload is a 409 IDEMPOTENCY_CONFLICT.",
    ),
  }),
  messaging: () => ({
    producerSendIngest: asyncOperation(
      "send",
      "ingest",
      "ingestEvent",
      "producer",
      "The producer publishes accepted events (idempotent, acks=all)",
    ),
  }),
};
