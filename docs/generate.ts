// Generates docs/openapi.yaml (OpenAPI 3.1) and docs/asyncapi.yaml (AsyncAPI 3.0). Both files are
// GENERATED: edit this script, never the YAML, then rerun `node docs/generate.ts`.
//
// What comes from where:
// - event data schemas, the envelope and the committed event: @eventscope/contracts
//   (eventSchemas(), envelopeSchema, committedEventSchema, the activity domain's free-form schema);
// - producer command routes: the producer's own table (services/producer/src/commands.ts);
// - read-model routes and their filters: the projection's table (services/projection/src/read-models.ts);
// - each operation's security (the scope its key needs): the services' route tables, as their
//   app factories build them (`routeTables()`);
// - everything else (the other routes, responses, read-model shapes of the domain state types,
//   Kafka headers): the hand-written tables below.
// test/contracts/openapi.unit.spec.ts checks the documents against the running route tables of every
// service and fails when the committed files differ from what this script produces.
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { stringify } from "yaml";
import {
  activity,
  activityEventTypePattern,
  committedEventSchema,
  domains,
  envelopeSchema,
  eventAliases,
  eventSchemas,
  notificationRules,
  rejectionCodes,
  storedEventType,
  topics,
  type JSONSchema,
} from "@eventscope/contracts";
import { DEFAULT_KAFKA_PARTITIONS } from "@eventscope/infra";
import { commonSettings, createLogger, createMetrics, scopes, trace, type Scope } from "@eventscope/platform";
import { commandRoutes, type CommandRoute } from "../services/producer/src/commands.ts";
import { createProducerApp } from "../services/producer/src/app.ts";
import { producerSettings, readProducerConfig } from "../services/producer/src/config.ts";
import { createEventStoreApp } from "../services/event-store/src/app.ts";
import { eventStoreSettings } from "../services/event-store/src/config.ts";
import { createProjectionApp } from "../services/projection/src/app.ts";
import { projectionSettings } from "../services/projection/src/config.ts";
import { createNotificationApp } from "../services/notification/src/app.ts";
import { notificationSettings } from "../services/notification/src/config.ts";
import { createProcessManagerApp, processStatuses } from "../services/process-manager/src/app.ts";
import { processManagerSettings } from "../services/process-manager/src/config.ts";
import { sagas } from "../services/process-manager/src/sagas/index.ts";
import { stepNamespace } from "../services/process-manager/src/sagas/step-id.ts";
import { documentModels, projectionNames } from "../services/projection/src/read-models.ts";
import { deliveryStatuses } from "../services/notification/src/deliveries.ts";
import { channels } from "../services/notification/src/plan.ts";

type Json = Record<string, unknown>;

const docsDir = fileURLToPath(new URL(".", import.meta.url));
export const openApiFile = resolve(docsDir, "openapi.yaml");
export const asyncApiFile = resolve(docsDir, "asyncapi.yaml");

const VERSION = "0.1.0";
const DEMO_KEY = "eventscope-demo-key";

// ---------------------------------------------------------------------------------------------
// Services and their servers
// ---------------------------------------------------------------------------------------------

export const services = {
  producer: { port: producerSettings.port.default, title: "Producer" },
  "event-store": { port: eventStoreSettings.port.default, title: "Event store" },
  projection: { port: projectionSettings.port.default, title: "Projection (read models)" },
  notification: { port: notificationSettings.port.default, title: "Notification" },
  "process-manager": { port: processManagerSettings.port.default, title: "Process manager (sagas)" },
} as const;
export type Service = keyof typeof services;
const allServices = Object.keys(services) as Service[];

export const serverUrl = (service: Service): string => `http://localhost:${services[service].port}`;
const server = (service: Service) => ({ url: serverUrl(service), description: services[service].title });

export interface RouteEntry {
  method: string;
  path: string;
  scope?: Scope;
}

/**
 * Every route each service answers, with the scope its key needs, as the services' app factories
 * build them. No server is started: the dependencies are stubs the handlers would need, and no
 * handler is called.
 */
export function routeTables(): Record<Service, RouteEntry[]> {
  const common = (service: string) => ({
    logger: createLogger({ service, level: "silent" }),
    metrics: createMetrics(service),
    tracer: trace.getTracer("docs"),
  });
  const stub = {} as never;
  return {
    producer: createProducerApp({ ...common("producer"), config: readProducerConfig({}), publisher: stub })
      .routes,
    "event-store": createEventStoreApp({
      ...common("event-store"),
      pool: stub,
      deadLetters: stub,
      lag: stub,
      ready: () => false,
    }).routes,
    projection: createProjectionApp({
      ...common("projection"),
      pool: stub,
      deadLetters: stub,
      lag: stub,
      ready: () => false,
      status: async () => [],
      rebuild: () => false,
    }).routes,
    notification: createNotificationApp({
      ...common("notification"),
      pool: stub,
      deadLetters: stub,
      lag: stub,
      ready: () => false,
      onReplayed: () => undefined,
    }).routes,
    "process-manager": createProcessManagerApp({
      ...common("process-manager"),
      pool: stub,
      deadLetters: stub,
      lag: stub,
      ready: () => false,
    }).routes,
  };
}

const serviceDescriptions: Record<Service, string> = {
  producer:
    "Validates events (schema, size, API key), stamps the envelope and publishes it to `events.ingest`; " +
    "answers 202 only once the broker acknowledged.",
  "event-store":
    "The authority: consumes `events.ingest`, decides each event against its aggregate, appends it to " +
    "PostgreSQL and publishes it to `events.committed` (or `events.rejected` with a reason). Serves " +
    "event status, streams, the gap-safe global feed, replay and statistics.",
  projection:
    "The read side: consumes `events.committed` into read models (one per domain, plus user activity) " +
    "and serves them; projection status and rebuild.",
  notification:
    "Consumes `events.committed`, applies the notification rules and webhook subscriptions, and records " +
    "and sends every delivery (e-mail over SMTP, SMS, push, signed webhooks) with retries and a dead state.",
  "process-manager":
    "Runs the business processes (sagas: order fulfilment with compensation, cart expiry, customer " +
    "onboarding, stock level): consumes `events.committed` and its own steps' rejections on " +
    "`events.rejected`, keeps each process's state, steps and timers in PostgreSQL, and sends every step " +
    "as an event through the producer's POST /api/events (`metadata.source` `process-manager`, a " +
    "deterministic uuid v5 event id).",
};

// ---------------------------------------------------------------------------------------------
// Schema helpers
// ---------------------------------------------------------------------------------------------

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string, extra: Json = {}): Json => ({
  type: "string",
  ...(description ? { description } : {}),
  ...extra,
});
const int = (description?: string, extra: Json = {}): Json => ({
  type: "integer",
  ...(description ? { description } : {}),
  ...extra,
});
const num = (description?: string): Json => ({ type: "number", ...(description ? { description } : {}) });
const bool = (description?: string): Json => ({ type: "boolean", ...(description ? { description } : {}) });
const dateTime = (description?: string): Json => str(description, { format: "date-time" });
const uuid = (description?: string): Json => str(description, { format: "uuid" });
const arrayOf = (items: Json, description?: string): Json => ({
  type: "array",
  items,
  ...(description ? { description } : {}),
});
/** The same schema, also allowing null. */
const orNull = (schema: Json): Json => ({
  ...schema,
  type: [schema.type as string, "null"],
  ...(Array.isArray(schema.enum) ? { enum: [...(schema.enum as unknown[]), null] } : {}),
});
const enumOf = (values: readonly string[], description?: string): Json =>
  str(description, { enum: [...values] });
/** A closed object whose every property is required (the shape the services always write). */
const record = (properties: Record<string, Json>, description?: string): Json => ({
  type: "object",
  ...(description ? { description } : {}),
  required: Object.keys(properties),
  properties,
});
const object = (properties: Record<string, Json>, required: string[], description?: string): Json => ({
  type: "object",
  ...(description ? { description } : {}),
  required,
  properties,
});

/** A contracts schema without its `$id` (ids would change the base URI of refs inside the documents). */
function published(schema: JSONSchema): Json {
  const { $id: _id, ...rest } = structuredClone(schema);
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Shared schemas: events (generated from the contracts) and the read models (domain state types)
// ---------------------------------------------------------------------------------------------

const events = eventSchemas();
export const eventTypeNames = Object.keys(events);
const activitySchemaName = "UserActivity";

/** Every event's data schema by event type, and the activity free-form schema, from the contracts. */
function eventDataSchemas(): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [eventType, schema] of Object.entries(events)) {
    out[eventType] = {
      ...published(schema),
      description: `Data of a \`${eventType}\` event (aggregate ${aggregateTypeOf(eventType)}).`,
    };
  }
  const freeForm = activity.freeFormEvents!;
  out[activitySchemaName] = {
    ...published(freeForm.dataSchema),
    description:
      `${typeof freeForm.dataSchema.description === "string" ? freeForm.dataSchema.description : "Free-form activity data"}: the data of a user-activity ` +
      `event, whose type is any lowercase name matching \`${freeForm.pattern}\` (login, page_view, ...).`,
  };
  return out;
}

function aggregateTypeOf(eventType: string): string {
  const domain = domains.find((d) => eventType in d.events);
  if (!domain) throw new Error(`no domain declares ${eventType}`);
  return domain.aggregateType;
}

/** The aliases (packages/contracts/src/aliases.ts), in words: `OrderPlaced` (as `OrderCreated`), ... */
const aliasList = Object.entries(eventAliases)
  .map(([alias, stored]) => `\`${alias}\` (as \`${stored}\`)`)
  .join(", ");
const aliasNote =
  `Three event types are aliases, accepted wherever an event type is taken and validated and stored under ` +
  `the other name: ${aliasList}. A stored event, a topic record and a read model only ever carry the ` +
  "stored name.";

/** The data of any event: chosen by the event type (`eventType` in the envelope, `ce_type` on Kafka). */
function eventDataUnion(): Json {
  return {
    description:
      "The event's data. Which schema applies is named by the event type (`eventType` in an envelope, " +
      "the `ce_type` header on Kafka): the enumerated types have the schema of that name, and any lowercase " +
      `type matching \`${activityEventTypePattern}\` is user activity (free-form). Several schemas accept ` +
      `the same JSON (e.g. \`{}\`), so the list is anyOf and the type decides. ${aliasNote}`,
    "x-event-aliases": { ...eventAliases },
    anyOf: [...eventTypeNames.map(ref), ref(activitySchemaName)],
  };
}

const orderStatuses = ["Created", "Validated", "Confirmed", "Shipped", "Delivered", "Cancelled"];
const paymentStatuses = ["Initiated", "Processing", "Authorized", "Completed", "Failed", "Refunded"];
const ts = (what: string) => orNull(dateTime(`When the ${what} event happened (its timestamp)`));
const idOrNull = (description: string) => orNull(str(description));

/**
 * The read models, from the domain state types in packages/contracts/src/domains (the test checks
 * that each lists exactly the keys of its domain's `initial()` state).
 */
export const readModelSchemas: Record<string, { schema: string; aggregateType: string; shape: Json }> = {
  orders: {
    schema: "OrderReadModel",
    aggregateType: "Order",
    shape: record(
      {
        orderId: idOrNull("The order id (the aggregate id)"),
        customerId: idOrNull("Customer who placed the order"),
        cartId: idOrNull("Cart checked out into this order, if any"),
        status: orNull(enumOf(orderStatuses)),
        totalAmount: num("Order total"),
        currency: orNull(str("ISO 4217 code")),
        items: arrayOf(ref("LineItem")),
        paymentId: idOrNull("The order's current payment (from its Payment events)"),
        paymentStatus: orNull(enumOf(paymentStatuses, "Status of the current payment")),
        trackingNumber: idOrNull("Set when shipped"),
        carrier: idOrNull("Set when shipped"),
        cancelReason: idOrNull("Set when cancelled"),
        createdAt: ts("OrderCreated"),
        validatedAt: ts("OrderValidated"),
        confirmedAt: ts("OrderConfirmed"),
        shippedAt: ts("OrderShipped"),
        deliveredAt: ts("OrderDelivered"),
        cancelledAt: ts("OrderCancelled"),
        paidAt: ts("OrderPaid"),
      },
      "The e-commerce seed's OrderReadModel: the order's state (OrderState) plus the status of its payment.",
    ),
  },
  payments: {
    schema: "PaymentReadModel",
    aggregateType: "Payment",
    shape: record(
      {
        paymentId: idOrNull("The payment id (the aggregate id)"),
        status: orNull(enumOf(paymentStatuses)),
        orderId: idOrNull("Order paid for"),
        amount: num(),
        currency: orNull(str("ISO 4217 code")),
        method: idOrNull("Payment method"),
        authorizationCode: idOrNull("Set when authorized"),
        failureReason: idOrNull("Set when failed"),
        initiatedAt: ts("PaymentInitiated"),
        authorizedAt: ts("PaymentAuthorized"),
        completedAt: ts("PaymentCompleted"),
        failedAt: ts("PaymentFailed"),
        refundedAt: ts("PaymentRefunded"),
        refundReason: idOrNull("Set when refunded"),
      },
      "A payment (PaymentState).",
    ),
  },
  carts: {
    schema: "CartReadModel",
    aggregateType: "Cart",
    shape: record(
      {
        cartId: idOrNull("The cart id (the aggregate id)"),
        status: orNull(enumOf(["Open", "CheckedOut", "Expired"])),
        customerId: idOrNull("Owner of the cart"),
        items: arrayOf(ref("LineItem")),
        total: num("Sum of the items"),
        orderId: idOrNull("Order created at checkout"),
        createdAt: ts("CartCreated"),
        updatedAt: orNull(dateTime("Timestamp of the last event")),
      },
      "A shopping cart (CartState).",
    ),
  },
  inventory: {
    schema: "InventoryReadModel",
    aggregateType: "Inventory",
    shape: record(
      {
        productId: idOrNull("Product id / SKU (the aggregate id)"),
        level: int("Units on hand, as last counted (StockUpdated)"),
        reserved: int("Units held by orders"),
        available: int("level - reserved"),
        reservations: {
          type: "object",
          description: "Units held per order id",
          additionalProperties: { type: "integer" },
        },
        lowStockThreshold: orNull(
          int("The product's low-stock threshold (set by StockUpdated, or named by the last LowStockAlert)"),
        ),
        lastAlertAt: ts("last LowStockAlert"),
        updatedAt: orNull(dateTime("Timestamp of the last event")),
      },
      "Stock of one product (InventoryState).",
    ),
  },
  products: {
    schema: "ProductReadModel",
    aggregateType: "Product",
    shape: record(
      {
        productId: idOrNull("The product id (the aggregate id)"),
        status: orNull(enumOf(["Active", "Inactive", "Deleted"])),
        name: idOrNull("Product name"),
        sku: idOrNull("Stock keeping unit"),
        price: num(),
        currency: orNull(str("ISO 4217 code")),
        description: idOrNull("Product description"),
        replenished: int("Units received through StockReplenished"),
        createdAt: ts("ProductCreated"),
        updatedAt: orNull(dateTime("Timestamp of the last event")),
      },
      "A catalogue product (ProductState).",
    ),
  },
  tasks: {
    schema: "TaskReadModel",
    aggregateType: "Task",
    shape: record(
      {
        taskId: idOrNull("The task id (the aggregate id)"),
        status: orNull(enumOf(["Open", "Completed"])),
        title: idOrNull("Title"),
        description: idOrNull("Description"),
        assignee: idOrNull("Assignee"),
        dueDate: orNull(
          str("A date or a date-time (local date-times are kept as sent)", { format: "date-or-date-time" }),
        ),
        completedBy: idOrNull("Who completed it"),
        createdAt: ts("TaskCreated"),
        updatedAt: orNull(dateTime("Timestamp of the last event")),
        completedAt: ts("TaskCompleted"),
      },
      "A task (TaskState).",
    ),
  },
  customers: {
    schema: "CustomerReadModel",
    aggregateType: "Customer",
    shape: record(
      {
        customerId: idOrNull("The customer id (the aggregate id)"),
        status: orNull(enumOf(["Registered", "Active", "Inactive", "Deleted"])),
        name: idOrNull("Name"),
        email: orNull(str("E-mail address", { format: "email" })),
        phone: idOrNull("Where SMS go, when the customer gave a number"),
        deviceToken: idOrNull("Where push notifications go, when the customer's app registered a device"),
        preferences: {
          type: "object",
          description: "The customer's preferences (CustomerPreferencesUpdated)",
        },
        createdAt: ts("CustomerCreated or CustomerRegistered"),
        updatedAt: orNull(dateTime("Timestamp of the last event")),
        activatedAt: ts("CustomerActivated (or CustomerCreated, which is active at once)"),
        deactivatedAt: ts("last CustomerDeactivated"),
        lastLoginAt: ts("last CustomerLoggedIn"),
        lastLogoutAt: ts("last CustomerLoggedOut"),
        deletedAt: ts("CustomerDeleted"),
        deleteReason: idOrNull("Set when deleted"),
      },
      "A customer (CustomerState).",
    ),
  },
};

/** The User aggregate's state (user activity), as replay returns it. */
export const userActivityState = record(
  {
    userId: idOrNull("The user id (the aggregate id)"),
    count: int("Activity events recorded"),
    lastEventType: idOrNull("Type of the latest event"),
    firstEventAt: orNull(dateTime()),
    lastEventAt: orNull(dateTime()),
  },
  "A user's activity summary (UserActivityState).",
);

/** Aggregate type -> the schema of its state. */
function stateSchemaOf(aggregateType: string): string {
  if (aggregateType === activity.aggregateType) return "UserActivityState";
  const found = Object.values(readModelSchemas).find((m) => m.aggregateType === aggregateType);
  if (!found) throw new Error(`no state schema for aggregate type ${aggregateType}`);
  return found.schema;
}

const knownRejectionCodes = [
  ...Object.values(rejectionCodes),
  "WRONG_EXPECTED_VERSION",
  "UNKNOWN_AGGREGATE_TYPE",
  "INVALID_EVENT",
  // PostgreSQL refused the event for good (SQLSTATE class 22: NUL, a lone surrogate): the reason
  // carries the SQLSTATE, and the rest of its batch is stored.
  "UNSTORABLE",
];

// ---------------------------------------------------------------------------------------------
// OpenAPI: shared components
// ---------------------------------------------------------------------------------------------

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
  "UNAVAILABLE",
  "INTERNAL",
];
const payloadHashSchema = (description: string): Json =>
  str(description, { pattern: "^sha256:[0-9a-f]{64}$" });

function httpSchemas(): Record<string, Json> {
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
  };
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
  const readModels: Record<string, Json> = {};
  for (const model of Object.values(readModelSchemas)) readModels[model.schema] = model.shape;
  const subscription = {
    id: uuid(),
    url: str("Where deliveries are POSTed", { format: "uri" }),
    eventTypes: arrayOf(str(), 'Event types delivered, or `["*"]` for all'),
    status: enumOf(
      ["active", "disabled"],
      "`disabled` once the failure budget is used up: nothing is planned or sent for it until enabled",
    ),
    consecutiveFailures: int("Failed attempts since the last success"),
    failingSince: orNull(dateTime("First failed attempt of the current run of failures")),
    disabledAt: orNull(dateTime("When it was switched off")),
    disabledReason: orNull(str("Why it was switched off (the count, since when, the last error)")),
    createdAt: dateTime(),
  };
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
    EventEnvelope: {
      ...published(envelopeSchema),
      description:
        "The event envelope a client sends (the e-commerce seed's schema); eventId, timestamp and " +
        "metadata are filled in when absent. `data` must match the data schema of `eventType`.",
    },
    EventEnvelopeInput: {
      description:
        "An envelope as POSTed to the producer: optionally with `expectedVersion`, the stream version " +
        "the client expects (the store rejects the event with WRONG_EXPECTED_VERSION otherwise).",
      allOf: [
        ref("EventEnvelope"),
        {
          type: "object",
          properties: { expectedVersion: int("Expected current stream version", { minimum: 0 }) },
        },
      ],
    },
    CommittedEvent: {
      ...published(committedEventSchema),
      description:
        "An event as the store keeps it: with its stream version, global position and storage time.",
    },
    EventData: eventDataUnion(),
    ...eventDataSchemas(),
    LineItem: {
      ...published(events.ItemAddedToCart!),
      title: "LineItem",
      description: "A cart or order line.",
    },
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
    EventStatus: {
      description: "Where an accepted event is: not decided yet, committed, or rejected with a reason.",
      oneOf: [
        record({ eventId: uuid(), status: enumOf(["pending"]) }),
        record({ eventId: uuid(), status: enumOf(["committed"]), event: ref("CommittedEvent") }),
        object(
          {
            eventId: uuid(),
            status: enumOf(["rejected"]),
            code: str("Rejection code", { examples: knownRejectionCodes }),
            reason: str(),
            rejectedAt: dateTime(),
            payloadHash: payloadHashSchema(
              "metadata.payloadHash of the rejected event, when it had one: compare with the 202's",
            ),
          },
          ["eventId", "status", "code", "reason", "rejectedAt"],
        ),
      ],
    },
    Stream: record({
      aggregateType: str(),
      aggregateId: str(),
      count: int(),
      events: arrayOf(ref("CommittedEvent"), "In version order"),
    }),
    FeedPage: record({
      events: arrayOf(ref("CommittedEvent"), "In commit order"),
      nextCursor: str("Cursor for the next page (`<transactionId>:<position>`)", {
        pattern: "^[0-9]+:[0-9]+$",
      }),
      caughtUp: bool("True when the page ended at the safe horizon: later events come in a later read"),
    }),
    ReplayResult: record({
      aggregateType: str(),
      aggregateId: str(),
      version: int("Stream version the state is at"),
      state: {
        description: "The aggregate's state, of its domain's state type",
        anyOf: domains.map((d) => ref(stateSchemaOf(d.aggregateType))),
      },
      strategy: enumOf(["full", "snapshot"]),
      snapshotVersion: orNull(int("Version of the snapshot started from (snapshot strategy)")),
      eventsReplayed: int("Events folded to get the state"),
      durationMs: num("Time the reconstruction took"),
      history: arrayOf(ref("CommittedEvent"), "The stream up to `version`, from `fromDate` on when given"),
    }),
    StoreStats: record({
      events: int(),
      streams: int(),
      snapshots: int(),
      sizeBytes: int("Size of the events table with its indexes"),
      lastPosition: str("Highest global position", { pattern: "^[0-9]+$" }),
      eventsByType: arrayOf(record({ aggregateType: str(), eventType: str(), count: int() })),
      rejectedByCode: {
        type: "object",
        additionalProperties: { type: "integer" },
        description: "Rejected events per rejection code",
      },
    }),
    RejectedList: record({
      count: int(),
      rejected: arrayOf(
        record({
          eventId: uuid(),
          eventType: str(),
          aggregateType: str(),
          aggregateId: str(),
          code: str("Rejection code", { examples: knownRejectionCodes }),
          reason: str(),
          rejectedAt: dateTime(),
        }),
        "Newest first",
      ),
    }),
    DeadLetter: {
      ...deadLetter,
      description: "A message a consumer could not process, parked with its reason.",
    },
    DeadLetterList: record({ count: int(), deadLetters: arrayOf(ref("DeadLetter")) }),
    ActivityEvent: record({
      eventId: uuid(),
      userId: str(),
      eventType: str(),
      timestamp: dateTime(),
      metadata: { type: "object", description: "The event's free-form data" },
    }),
    ActivityList: record({ count: int("Matching events in all"), events: arrayOf(ref("ActivityEvent")) }),
    ...readModels,
    UserActivityState: userActivityState,
    ProjectionStatus: record({
      name: str("Projection name", { enum: projectionNames() }),
      status: str("", { examples: ["live", "rebuilding"] }),
      position: str("Global position of the last event applied", { pattern: "^[0-9]+$" }),
      eventsApplied: int(),
      updatedAt: dateTime(),
      rebuiltAt: orNull(dateTime()),
      lastError: orNull(str()),
      storePosition: orNull(str("The event store's last global position (null when unreachable)")),
      positionsBehind: orNull(int("storePosition - position")),
      consumerLag: orNull(int("Messages of events.committed the consumer group has not consumed yet")),
    }),
    SubscriptionRequest: object(
      {
        url: str(
          "Absolute http or https URL the deliveries are POSTed to, without credentials. Its host must " +
            "resolve, and only to addresses the webhook policy admits (see POST /api/subscriptions)",
          { format: "uri" },
        ),
        eventTypes: {
          ...arrayOf(str("", { minLength: 1 }), 'Event types to deliver, or `["*"]` for all'),
          minItems: 1,
        },
        secret: str("HMAC secret (generated when absent; at least 16 characters)", { minLength: 16 }),
      },
      ["url", "eventTypes"],
    ),
    Subscription: record(subscription, "A webhook subscription (listings leave the secret out)."),
    SubscriptionDetail: record(
      {
        ...subscription,
        switches: arrayOf(
          record({
            status: enumOf(["active", "disabled"]),
            reason: str("Why (the failure budget's count and last error, or who switched it on)"),
            at: dateTime(),
          }),
          "Every switch-off and switch-on, oldest first",
        ),
      },
      "A webhook subscription with its switch history (without its secret).",
    ),
    CreatedSubscription: record(
      { ...subscription, secret: str("The signing secret: shown once, in this answer") },
      "The new subscription, with its secret.",
    ),
    SubscriptionList: record({ count: int(), subscriptions: arrayOf(ref("Subscription")) }),
    Delivery: record({
      id: uuid(),
      eventId: uuid(),
      eventType: str(),
      rule: str("Notification rule, or the webhook subscription it is for"),
      channel: enumOf(channels),
      status: enumOf(deliveryStatuses),
      attempts: int(),
      lastError: orNull(
        str(
          "The last failure, e.g. `HTTP 503`, `HTTP 302: redirect to <Location> not followed`, " +
            "`target refused: …` (the webhook policy, at send time) or `subscription switched off`",
        ),
      ),
      createdAt: dateTime(),
      deliveredAt: orNull(dateTime()),
      nextAttemptAt: orNull(dateTime("When the next attempt is due (pending and retrying only)")),
      target: str(
        "E-mail address, phone or device, or webhook URL: as planned, or the customer's own once looked up at send",
      ),
      recipient: orNull(
        enumOf(
          deliveryRecipients,
          "Where `target` came from, set at each send: `event` (the address or number the event carries), " +
            "`customer` (a planned fallback replaced by the customer's own e-mail, phone or device from the " +
            "customer read model, found through the event's customer, its order, or its payment's order), " +
            "`default` (the fallback stands: EMAIL_TO_DEFAULT, or the user or aggregate for SMS and push; " +
            "nothing found or the read side unreachable), `subscription` (a webhook); null before the first " +
            "send",
        ),
      ),
    }),
    DeliveryList: record({ count: int(), deliveries: arrayOf(ref("Delivery"), "Newest first") }),
    ...processSchemas(),
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

/** services/notification/src/recipients.ts (`Recipient`) and its migration's CHECK. */
const deliveryRecipients = ["event", "customer", "default", "subscription"];

const processTypes = sagas.map((s) => s.type);
const stepStatuses = ["pending", "sent", "committed", "rejected", "refused"];

/** What GET /api/processes answers (services/process-manager/src/queries.ts). */
function processSchemas(): Record<string, Json> {
  const summary = {
    id: str(
      "`<type>:<key>`: `order:<orderId>`, `cart:<cartId>`, `onboarding:<customerId>`, `stock:<productId>`",
      {
        examples: ["order:order-123"],
      },
    ),
    type: enumOf(processTypes),
    status: enumOf(
      processStatuses,
      "`active` running; `compensating` undoing what it did (releases, cancel, refund); `completed`, " +
        "`cancelled` and `failed` are ends",
    ),
    stage: str("Where it is, per type", {
      examples: [
        "reserving",
        "validating",
        "awaiting-payment",
        "confirming",
        "confirmed",
        "compensating",
        "refunding",
        "cancelled",
        "refunded",
        "open",
        "expiring",
        "checked-out",
        "expired",
        "awaiting-confirmation",
        "reminded",
        "activated",
        "deleted",
        "watching",
      ],
    }),
    outcome: orNull(
      str("How it ended (the `outcome` label of processes_completed_total)", {
        examples: [
          "confirmed",
          "payment-failed",
          "payment-timeout",
          "out-of-stock",
          "cancelled",
          "refunded",
          "checked-out",
          "expired",
          "activated",
          "deleted",
        ],
      }),
    ),
    correlationId: str("The correlation id of the event that started it; every step carries it"),
    startedBy: uuid("The event that started it"),
    startedAt: dateTime(),
    updatedAt: dateTime(),
    completedAt: orNull(dateTime("When it reached an end")),
  };
  const timer = record({
    name: str("", { examples: ["payment-timeout", "cart-idle", "activation-reminder"] }),
    dueAt: dateTime(),
  });
  return {
    ProcessSummary: record(
      { ...summary, nextTimerAt: orNull(dateTime("When its next timer is due")) },
      "A process (saga instance), as listed.",
    ),
    ProcessList: record({
      count: int("Matching processes in all"),
      processes: arrayOf(ref("ProcessSummary"), "Most recently changed first"),
    }),
    ProcessStep: record(
      {
        step: str("The step's name within its process", {
          examples: [
            "reserve:sku-1",
            "validate",
            "pay",
            "confirm",
            "paid",
            "release:sku-1",
            "cancel",
            "refund",
          ],
        }),
        eventId: uuid(
          "The event the step is sent as: uuid v5 of (process id, step), so a step decided again is the same event",
        ),
        eventType: str(),
        aggregateType: str(),
        aggregateId: str(),
        status: enumOf(
          stepStatuses,
          "`pending` not yet accepted by the producer; `sent` answered 202; `committed` seen stored on " +
            "events.committed; `rejected` refused by the event store (events.rejected); `refused` answered " +
            "400, 409, 413, 415 or 422 by the producer",
        ),
        causedBy: orNull(
          uuid("The event that made the process take the step (its causationId); null for a timer"),
        ),
        attempts: int("Sends to the producer so far"),
        lastError: orNull(str("The last failed send or the rejection (`<code>: <reason>`)")),
        decidedAt: dateTime("When the process decided it"),
        sentAt: orNull(dateTime("When the producer answered 202")),
        committedAt: orNull(dateTime("When the process saw it stored")),
      },
      "A step of a process: one event it sends.",
    ),
    Process: record(
      {
        ...summary,
        state: { type: "object", description: "The saga's own state (per type; may hold personal data)" },
        steps: arrayOf(ref("ProcessStep"), "In the order decided (and sent)"),
        events: arrayOf(
          record({
            eventId: uuid(),
            eventType: str(),
            streamId: str("`<aggregateType>/<aggregateId>`"),
            version: int("Stream version"),
            receivedAt: dateTime(),
          }),
          "The committed events the process received, in the order received",
        ),
        nextTimer: orNull({ ...timer, description: "The timer due first, if any" }),
        timers: arrayOf(timer, "Every pending timer, soonest first"),
      },
      "A process with its steps, the events it received and its timers.",
    ),
  };
}

const problemResponse = (description: string, extra: Json = {}): Json => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
  ...extra,
});

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

/** The HTTP settings every service shares, with their defaults (commonSettings). */
const serverDefaults = {
  requestTimeoutMs: commonSettings.httpRequestTimeoutMs.default,
  headersTimeoutMs: commonSettings.httpHeadersTimeoutMs.default,
  keepAliveTimeoutMs: commonSettings.httpKeepAliveTimeoutMs.default,
  maxConnections: commonSettings.httpMaxConnections.default,
  jsonMaxDepth: commonSettings.jsonMaxDepth.default,
  bodyLimit: producerSettings.bodyLimitBytes.default,
};

function responses(): Record<string, Json> {
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
      `Body larger than the limit (the producer's BODY_LIMIT_BYTES, default ${serverDefaults.bodyLimit}; ` +
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

const param = (
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

function parameters(): Record<string, Json> {
  return {
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
// ---------------------------------------------------------------------------------------------

interface Operation {
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

const content = (schema: Json, type = "application/json"): Json => ({ [type]: { schema } });
const okResponse = (description: string, schema: Json, headers?: Json): Json => ({
  description,
  ...(headers ? { headers } : {}),
  content: content(schema),
});
const responseRef = (name: string): Json => ({ $ref: `#/components/responses/${name}` });
/** Problem answers by status; 400 always: every route decodes its path and query strictly. */
const problems = (...statuses: number[]): Record<string, Json> => {
  const out: Record<string, Json> = { "400": responseRef("BadRequest") };
  for (const status of statuses) out[String(status)] = responseRef(responseNames[status]!);
  out.default = responseRef("Error");
  return out;
};
const pRef = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
const header = (name: string): Json => ({ $ref: `#/components/headers/${name}` });
const acceptedHeaders = { Location: header("StatusLocation"), traceparent: header("Traceparent") };
const writeProblems = {
  ...problems(413, 415, 503),
  "409": responseRef("IdempotencyConflict"),
  "504": responseRef("PublishInDoubt"),
};

const pathParam = (description: string, schema: Json = str()): Json => ({ description, schema });
const idParams = { id: pathParam("Aggregate id") };

const idempotencyNote =
  "An id the client chose (`eventId`, a CloudEvent's `id`, or the one an Idempotency-Key stands for) that " +
  "was accepted before is answered as the first time when the payload is the same (`duplicate: true`, " +
  "nothing published again) and with a 409 IDEMPOTENCY_CONFLICT when it differs; one id twice in a " +
  "request is a 400 (`/1/eventId`: repeats the id of event /0).";

function producerOperations(): Operation[] {
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
  const common = [pRef("IdempotencyKey")];
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
        `${aliasNote} ` +
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
        "A non-UUID `id` is mapped to a name-based UUID. " +
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
  return [...base, ...commandRoutes.map(commandOperation)];
}

/** Schemas of command request bodies that differ from the event's data schema. */
const commandBodies: Record<string, Json> = {};

/** A command route: its body is the event's data minus the id (and generated) fields. */
function commandOperation(command: CommandRoute): Operation {
  // An alias (eventAliases) is validated against, and stored as, the event type it names.
  const stored = storedEventType(command.eventType);
  const alias = stored !== command.eventType;
  const dataSchema = events[stored];
  if (!dataSchema) throw new Error(`${command.path}: no schema for ${command.eventType}`);
  const generated = Object.keys(command.extra?.() ?? {});
  const idField = "field" in command.id ? command.id.field : undefined;
  let body: Json = ref(command.eventType);
  let schema: Json = dataSchema;
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
    commandBodies[`${command.eventType}Request`] = schema;
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
  return {
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
    parameters: [pRef("IfMatch"), pRef("IdempotencyKey")],
    pathParams: idParams,
    requestBody: { required: bodyRequired, content: content(body) },
    responses: {
      "202": okResponse("Accepted", acceptedSchema, acceptedHeaders),
      ...writeProblems,
    },
    extra: { "x-event-type": command.eventType, "x-aggregate-type": command.aggregateType },
  };
}

function eventStoreOperations(): Operation[] {
  const aggregateTypes = domains.map((d) => d.aggregateType);
  const aggregateType = pathParam("Aggregate type", str("", { examples: aggregateTypes }));
  const deadLetters = deadLetterOperations(
    "event-store",
    "/api/eventstore/dead-letters",
    "eventStore",
    "events.ingest",
  );
  return [
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/events/:eventId",
      operationId: "getEventStatus",
      summary: "Status of an accepted event (the producer's statusUrl)",
      description:
        "pending (not decided yet), committed (with the stored event) or rejected (with code and reason).",
      pathParams: { eventId: pathParam("Event id", uuid()) },
      responses: { "200": okResponse("The event's status", ref("EventStatus")), ...problems(400) },
    },
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/streams/:aggregateType/:aggregateId",
      operationId: "readStream",
      summary: "Read one aggregate's stream",
      pathParams: { aggregateType, aggregateId: pathParam("Aggregate id") },
      parameters: [
        param(
          "fromVersion",
          "query",
          int("", { minimum: 1, maximum: 2_147_483_647, default: 1 }),
          "First version",
        ),
        param(
          "toVersion",
          "query",
          int("", { minimum: 1, maximum: 2_147_483_647 }),
          "Last version (default: the end)",
        ),
        param("limit", "query", int("", { minimum: 1, maximum: 10_000, default: 1000 }), "Most events"),
      ],
      responses: {
        "200": okResponse("The events, in version order (none for an unknown stream)", ref("Stream")),
        ...problems(400),
      },
    },
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/feed",
      operationId: "readFeed",
      summary: "The global feed, gap-safe",
      description:
        "Every stored event in commit order (transaction id, then position). Only events of transactions " +
        "older than the oldest one still running are served, so a reader that keeps `nextCursor` never skips " +
        "an event whose position was taken before a concurrent transaction committed.",
      parameters: [
        param(
          "after",
          "query",
          str("", { pattern: "^[0-9]{1,20}:[0-9]{1,19}$", default: "0:0" }),
          "Cursor `<transactionId>:<position>` from the previous page; parts beyond a transaction id " +
            "(xid8) or a position (bigint) are a 400",
        ),
        param("limit", "query", int("", { minimum: 1, maximum: 5000, default: 500 }), "Most events"),
      ],
      responses: { "200": okResponse("A page of the feed", ref("FeedPage")), ...problems(400) },
    },
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/replay/:aggregateType/:aggregateId",
      operationId: "replayAggregate",
      summary: "Rebuild an aggregate's state by replay",
      description:
        "Full replay or snapshot + partial replay, as of a version or a point in time; says how much work it " +
        "took. `fromDate` (the e-commerce seed's parameter) only trims the listed history.",
      pathParams: {
        aggregateType: pathParam("Aggregate type", enumOf(aggregateTypes)),
        aggregateId: pathParam("Aggregate id"),
      },
      parameters: [
        param(
          "strategy",
          "query",
          { ...enumOf(["full", "snapshot"]), default: "snapshot" },
          "How to rebuild",
        ),
        param(
          "version",
          "query",
          int("", { minimum: 1, maximum: 2_147_483_647 }),
          "State as of this stream version",
        ),
        param(
          "at",
          "query",
          dateTime(),
          "State as of this time (event timestamps): an ISO 8601 date or date-time, four-digit year",
        ),
        param("fromDate", "query", dateTime(), "List history from this time on (same form as `at`)"),
      ],
      responses: {
        "200": okResponse("The state and its history", ref("ReplayResult")),
        ...problems(400, 404),
      },
    },
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/head",
      operationId: "storeHead",
      summary: "The last global position (how far readers can be behind)",
      responses: {
        "200": okResponse("The last position", {
          type: "object",
          required: ["lastPosition"],
          properties: { lastPosition: { type: "string", description: "bigint as a decimal string" } },
        }),
        ...problems(),
      },
    },
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/stats",
      operationId: "storeStats",
      summary: "Store statistics",
      responses: { "200": okResponse("Counts, size and last position", ref("StoreStats")), ...problems() },
    },
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/rejected",
      operationId: "listRejected",
      summary: "Rejected events, newest first",
      parameters: [pRef("Limit")],
      responses: {
        "200": okResponse("Rejections with code and reason", ref("RejectedList")),
        ...problems(400),
      },
    },
    ...deadLetters,
  ];
}

function deadLetterOperations(service: Service, base: string, prefix: string, from: string): Operation[] {
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
      pathParams: { id: pathParam("Dead-letter id", str("", { pattern: "^[0-9]{1,18}$" })) },
      responses: {
        "200": okResponse("The message, marked replayed", ref("DeadLetter")),
        ...problems(404),
      },
    },
  ];
}

function projectionOperations(): Operation[] {
  const page = [pRef("Limit"), pRef("Offset")];
  const activityList = (extra: Record<string, Json>) =>
    Object.keys(extra).length === 0 ? ref("ActivityList") : { allOf: [ref("ActivityList"), record(extra)] };
  const models: Operation[] = documentModels.flatMap((model): Operation[] => {
    const doc = readModelSchemas[model.name];
    if (!doc) throw new Error(`read model ${model.name} has no schema in docs/generate.ts`);
    const props = (doc.shape.properties ?? {}) as Record<string, Json>;
    const filters = Object.keys(model.filters).map((name) => {
      const prop = props[name];
      if (name === "lowStock")
        return param(name, "query", bool(), "Only items at or below their low-stock threshold");
      if (!prop) throw new Error(`read model ${model.name}: no property for filter ${name}`);
      const { type: _type, enum: values, description: _d, ...rest } = prop;
      const schema = Array.isArray(values)
        ? enumOf(values.filter((v): v is string => v !== null))
        : { type: "string", ...rest };
      return param(name, "query", schema, `Only items whose ${name} equals this`);
    });
    const pascal = model.name[0]!.toUpperCase() + model.name.slice(1);
    return [
      {
        service: "projection",
        method: "GET",
        path: `/api/${model.name}`,
        operationId: `list${pascal}`,
        summary: `List the ${model.name} read model`,
        description: "Newest first (by last update), with the total count of matching items.",
        parameters: [...filters, ...page],
        responses: {
          "200": okResponse(
            "A page",
            record({
              count: int("Matching items in all"),
              limit: int(),
              offset: int(),
              items: arrayOf(ref(doc.schema)),
            }),
          ),
          ...problems(400),
        },
      },
      {
        service: "projection",
        method: "GET",
        path: `/api/${model.name}/:id`,
        operationId: `get${doc.schema}`,
        summary: `One item of the ${model.name} read model`,
        pathParams: { id: pathParam(`${doc.aggregateType} id`) },
        responses: { "200": okResponse("The item", ref(doc.schema)), ...problems(404) },
      },
    ];
  });
  const names = str("", { enum: projectionNames() });
  return [
    {
      service: "projection",
      method: "GET",
      path: "/api/events",
      operationId: "listActivity",
      summary: "All user activity (the activity seed's `{count, events}`)",
      parameters: page,
      responses: { "200": okResponse("Activity events in stored order", activityList({})), ...problems(400) },
    },
    {
      service: "projection",
      method: "GET",
      path: "/api/events/user/:userId",
      operationId: "listActivityByUser",
      summary: "One user's activity",
      pathParams: { userId: pathParam("User id") },
      parameters: page,
      responses: {
        "200": okResponse("The user's events", activityList({ userId: str() })),
        ...problems(400),
      },
    },
    {
      service: "projection",
      method: "GET",
      path: "/api/events/type/:eventType",
      operationId: "listActivityByType",
      summary: "Activity of one type",
      pathParams: { eventType: pathParam("Activity type", str("", { pattern: activityEventTypePattern })) },
      parameters: page,
      responses: {
        "200": okResponse("Events of the type", activityList({ eventType: str() })),
        ...problems(400),
      },
    },
    {
      service: "projection",
      method: "GET",
      path: "/customer/:id",
      operationId: "getCustomer",
      summary: "A customer (the customer aggregate example's route)",
      description: "404 once the customer is deleted.",
      pathParams: { id: pathParam("Customer id") },
      responses: { "200": okResponse("The customer", ref("CustomerReadModel")), ...problems(404) },
    },
    ...models,
    {
      service: "projection",
      method: "GET",
      path: "/api/projections",
      operationId: "listProjections",
      summary: "Every projection's checkpoint, distance from the store's head and consumer lag",
      responses: {
        "200": okResponse("Projection status", record({ projections: arrayOf(ref("ProjectionStatus")) })),
        ...problems(),
      },
    },
    {
      service: "projection",
      method: "GET",
      path: "/api/projections/:name",
      operationId: "getProjection",
      summary: "One projection's status",
      pathParams: { name: pathParam("Projection name", names) },
      responses: { "200": okResponse("Projection status", ref("ProjectionStatus")), ...problems(404) },
    },
    {
      service: "projection",
      method: "POST",
      path: "/api/projections/:name/rebuild",
      operationId: "rebuildProjection",
      summary: "Rebuild a projection from the event store",
      description: "Starts the rebuild and answers at once; follow it at the Location.",
      pathParams: { name: pathParam("Projection name", names) },
      responses: {
        "202": okResponse("Rebuild started", record({ projection: str(), status: enumOf(["rebuilding"]) }), {
          Location: { description: "The projection's status route", schema: str() },
        }),
        ...problems(404, 409),
      },
    },
    ...deadLetterOperations("projection", "/api/projection/dead-letters", "projection", "events.committed"),
  ];
}

const webhookPolicyNote =
  "The webhook policy: the URL's host is resolved and every address it resolves to is judged; an " +
  "address that is loopback (127.0.0.0/8, ::1, `localhost` and `*.localhost`), private (10/8, " +
  "172.16/12, 192.168/16, fc00::/7, fec0::/10), link-local (169.254/16, fe80::/10), multicast, " +
  "unspecified (0.0.0.0/8, ::), CGNAT (100.64/10), reserved (documentation and benchmark ranges, 240/4, " +
  "100::/64, 2001:db8::/32) or a cloud metadata address (169.254.169.254, fd00:ec2::254, 169.254.170.2, 100.100.100.200, " +
  "168.63.129.16) is refused unless WEBHOOK_ALLOWED_TARGETS admits it (a CIDR, or host:port). Numeric " +
  "spellings (0x7f000001, 0177.0.0.1) count as the address they are; IPv4-mapped, IPv4-compatible, " +
  "NAT64 and 6to4 addresses are judged by the IPv4 address inside. One refused address refuses the " +
  "whole name.";

function notificationOperations(): Operation[] {
  const id = { id: pathParam("Id", uuid()) };
  const rules = [...new Set(notificationRules().map((r) => r.name))];
  return [
    {
      service: "notification",
      method: "POST",
      path: "/api/subscriptions",
      operationId: "createSubscription",
      summary: "Subscribe a webhook to event types",
      description:
        "Deliveries are POSTed as signed requests (see the `committedEvent` webhook). The secret is shown " +
        "only in this answer; it is stored sealed (AES-256-GCM under WEBHOOK_SECRET_KEY, bound to the " +
        "subscription's id).\n\n" +
        webhookPolicyNote +
        " A refused target is a 400 naming `url` (`refused: 10.0.0.5 is a private address; not in " +
        "WEBHOOK_ALLOWED_TARGETS`), as is a host that does not resolve (`does not resolve (ENOTFOUND)`); " +
        "a resolver that did not answer is a 503 with Retry-After. Nothing is stored for a refusal.",
      requestBody: { required: true, content: content(ref("SubscriptionRequest")) },
      responses: {
        "201": okResponse("Created", ref("CreatedSubscription")),
        ...problems(413, 415),
        "503": responseRef("ResolverUnavailable"),
      },
    },
    {
      service: "notification",
      method: "GET",
      path: "/api/subscriptions",
      operationId: "listSubscriptions",
      summary: "Webhook subscriptions (without secrets), switched-off ones included",
      responses: { "200": okResponse("Subscriptions, oldest first", ref("SubscriptionList")), ...problems() },
    },
    {
      service: "notification",
      method: "GET",
      path: "/api/subscriptions/:id",
      operationId: "getSubscription",
      summary: "One webhook subscription (without its secret), with its switch history",
      pathParams: id,
      responses: {
        "200": okResponse("The subscription", ref("SubscriptionDetail")),
        ...problems(404),
      },
    },
    {
      service: "notification",
      method: "DELETE",
      path: "/api/subscriptions/:id",
      operationId: "deleteSubscription",
      summary: "Delete a webhook subscription",
      description: "Its pending deliveries then fail for good.",
      pathParams: id,
      responses: { "204": { description: "Deleted" }, ...problems(404) },
    },
    {
      service: "notification",
      method: "POST",
      path: "/api/subscriptions/:id/enable",
      operationId: "enableSubscription",
      summary: "Switch a disabled webhook subscription on again",
      description:
        "A subscription whose attempts failed WEBHOOK_FAILURE_BUDGET " +
        `(${notificationSettings.failureBudget.default}) times in a row, over at least ` +
        "WEBHOOK_FAILURE_WINDOW_MS " +
        `(${notificationSettings.failureWindowMs.default}), is switched off: status \`disabled\` with ` +
        "`disabledReason`, its waiting deliveries dead (`subscription switched off`), nothing planned for " +
        "it. This switches it on with a clean count and records the switch. Its URL is checked against " +
        "the webhook policy again first (the policy may have changed): a URL no longer admitted is a 400 " +
        "naming `url`, a resolver that did not answer a 503. Takes no body.",
      pathParams: id,
      responses: {
        "200": okResponse(
          "The subscription, active again, with its switch history",
          ref("SubscriptionDetail"),
        ),
        ...problems(404),
        "409": problemResponse(
          "The subscription is active (`subscriptionStatus`), or was switched on meanwhile: only a " +
            "disabled one can be switched on",
        ),
        "503": responseRef("ResolverUnavailable"),
      },
    },
    {
      service: "notification",
      method: "GET",
      path: "/api/deliveries",
      operationId: "listDeliveries",
      summary: "Delivery records (one per event, rule and channel)",
      parameters: [
        param("eventId", "query", uuid(), "Only deliveries of this event"),
        param("status", "query", enumOf(deliveryStatuses), "Only deliveries in this status"),
        param("channel", "query", enumOf(channels), "Only deliveries on this channel"),
        param(
          "rule",
          "query",
          str("", { examples: rules }),
          "Only deliveries of this rule (or `webhook` subscription)",
        ),
        pRef("Limit"),
      ],
      responses: { "200": okResponse("Deliveries, newest first", ref("DeliveryList")), ...problems(400) },
    },
    {
      service: "notification",
      method: "GET",
      path: "/api/deliveries/:id",
      operationId: "getDelivery",
      summary: "One delivery record",
      pathParams: id,
      responses: { "200": okResponse("The delivery", ref("Delivery")), ...problems(400, 404) },
    },
    {
      service: "notification",
      method: "POST",
      path: "/api/deliveries/:id/replay",
      operationId: "replayDelivery",
      summary: "Send a dead delivery again",
      description: "The delivery goes back to pending with its attempts reset; 409 when it is not dead.",
      pathParams: id,
      responses: {
        "200": okResponse("The delivery, pending again", ref("Delivery")),
        ...problems(400, 404, 409),
      },
    },
    ...deadLetterOperations(
      "notification",
      "/api/notification/dead-letters",
      "notification",
      "events.committed",
    ),
  ];
}

function processManagerOperations(): Operation[] {
  const { paymentTimeoutMs, cartIdleMs, activationReminderMs, lowStockThreshold } = processManagerSettings;
  return [
    {
      service: "process-manager",
      method: "GET",
      path: "/api/processes",
      operationId: "listProcesses",
      summary: "Processes (sagas), most recently changed first",
      description:
        "An order process starts on OrderCreated, reserves its lines one by one, validates the order, asks " +
        `for the payment and waits PAYMENT_TIMEOUT_MS (${paymentTimeoutMs.default}); a completed payment ` +
        "confirms and pays the order, and a failed or late payment or a line out of stock releases what was " +
        "reserved and cancels the order (compensation); a cancel after payment refunds it. A cart process " +
        `turns a checkout into OrderCreated, or expires the cart after CART_IDLE_MS (${cartIdleMs.default}) ` +
        "without a change. An onboarding process waits for CustomerActivated and sends one " +
        `CustomerActivationReminded after ACTIVATION_REMINDER_MS (${activationReminderMs.default}). A ` +
        "stock process per product turns StockReplenished into StockUpdated and sends LowStockAlert once " +
        "when available stock falls below the product's threshold (LOW_STOCK_THRESHOLD, " +
        `${lowStockThreshold.default}, for a product without one), again only after it recovered.`,
      parameters: [
        param("type", "query", enumOf(processTypes), "Only processes of this type"),
        param("status", "query", enumOf(processStatuses), "Only processes in this status"),
        pRef("Limit"),
        pRef("Offset"),
      ],
      responses: {
        "200": okResponse("A page of processes", ref("ProcessList")),
        ...problems(400),
      },
    },
    {
      service: "process-manager",
      method: "GET",
      path: "/api/processes/:id",
      operationId: "getProcess",
      summary: "One process: its state, steps with their event ids, the events it received, its timers",
      pathParams: {
        id: pathParam(
          "Process id, `<type>:<key>` (`order:order-123`; the colon may be sent as is or as %3A)",
          str("", { examples: ["order:order-123"] }),
        ),
      },
      responses: { "200": okResponse("The process", ref("Process")), ...problems(404) },
    },
    ...deadLetterOperations(
      "process-manager",
      "/api/process-manager/dead-letters",
      "processManager",
      "events.committed",
    ),
  ];
}

function builtinOperations(): Operation[] {
  return [
    {
      service: allServices,
      method: "GET",
      path: "/health/live",
      operationId: "live",
      summary: "Liveness (every service)",
      responses: { "200": okResponse("The process answers", ref("Live")), "400": responseRef("BadRequest") },
    },
    {
      service: allServices,
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
      service: ["event-store", "projection", "notification", "process-manager"],
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
      service: allServices,
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

export const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, "{$1}");

export function operations(): Operation[] {
  return [
    ...builtinOperations(),
    ...producerOperations(),
    ...eventStoreOperations(),
    ...projectionOperations(),
    ...notificationOperations(),
    ...processManagerOperations(),
  ];
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
  Object.assign(schemas, commandBodies);
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
        `HTTP_REQUEST_TIMEOUT_MS (${serverDefaults.requestTimeoutMs}) is a 408 (RequestTimeout). Idle ` +
        "keep-alive connections close after HTTP_KEEP_ALIVE_TIMEOUT_MS " +
        `(${serverDefaults.keepAliveTimeoutMs}); ` +
        `connections beyond HTTP_MAX_CONNECTIONS (${serverDefaults.maxConnections}) are closed as soon ` +
        "as they are accepted.\n\n" +
        "Generated by `node docs/generate.ts` from the contracts and the services' route tables: do not edit.",
      license: { name: "Proprietary" },
    },
    servers: allServices.map(server),
    tags: allServices.map((s) => ({ name: s, description: serviceDescriptions[s] })),
    paths,
    webhooks: {
      committedEvent: {
        post: {
          operationId: "webhookDelivery",
          tags: ["notification"],
          summary: "A committed event, POSTed to a subscription's URL",
          description:
            "The body is the committed event, signed like Stripe webhooks: `x-eventscope-signature` is " +
            '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the subscription\'s secret>`. ' +
            "A 2xx answer marks the delivery delivered; anything else (or no answer in time) is retried with " +
            "exponential backoff, and after the last attempt the delivery is dead (replayable). A 3xx is a " +
            "failed attempt (redirects are never followed) and at most WEBHOOK_MAX_RESPONSE_BYTES " +
            `(${notificationSettings.maxResponseBytes.default}) of any answer is read.\n\n` +
            "The target is checked against the webhook policy again on every send, inside the socket's own " +
            "lookup, and the connection goes to the addresses checked (a name rebound to 127.0.0.1 since it " +
            "was subscribed is refused): a refused target, or a name that no longer resolves, makes the " +
            "delivery dead at once (`target refused: …`); a resolver that did not answer is a failed " +
            "attempt, retried. Each subscription has its own send slots (WEBHOOK_CONCURRENCY, " +
            `${notificationSettings.webhookConcurrency.default}), so a slow endpoint delays no other. After ` +
            `WEBHOOK_FAILURE_BUDGET (${notificationSettings.failureBudget.default}) consecutive failed ` +
            "attempts spanning at least WEBHOOK_FAILURE_WINDOW_MS " +
            `(${notificationSettings.failureWindowMs.default}) the subscription is switched off ` +
            "(POST /api/subscriptions/{id}/enable switches it on).",
          parameters: [
            param("x-eventscope-event-id", "header", uuid(), "The event's id", true),
            param(
              "x-eventscope-delivery-id",
              "header",
              uuid(),
              "The delivery's id (the same on each retry)",
              true,
            ),
            param(
              "x-eventscope-timestamp",
              "header",
              str("", { pattern: "^[0-9]+$" }),
              "Unix seconds of the signature",
              true,
            ),
            param(
              "x-eventscope-signature",
              "header",
              str("", { pattern: "^t=[0-9]+,v1=[0-9a-f]{64}$" }),
              "The signature",
              true,
            ),
            param("traceparent", "header", str(), "W3C trace context of the event's trace"),
          ],
          requestBody: { required: true, content: content(ref("CommittedEvent")) },
          responses: {
            "2XX": { description: "Delivered" },
            default: { description: "Failed: retried with backoff" },
          },
        },
      },
    },
    components: {
      schemas,
      responses: responses(),
      parameters: parameters(),
      headers: {
        StatusLocation: {
          description: "The statusUrl of the (first) event",
          schema: str("", { format: "uri" }),
        },
        Traceparent: { description: "W3C trace context of the request's trace", schema: str() },
        Allow: { description: "The methods the path answers", schema: str("", { examples: ["GET, POST"] }) },
        RetryAfter: { description: "Seconds to wait before retrying", schema: int("", { minimum: 0 }) },
      },
      securitySchemes: {
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
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// AsyncAPI
// ---------------------------------------------------------------------------------------------

const h = (description: string, extra: Json = {}): Json => ({ type: "string", description, ...extra });

/** The CloudEvents Kafka binary binding's headers (packages/contracts/src/kafka-binding.ts). */
export const envelopeHeaders: Record<string, Json> = {
  ce_specversion: h("CloudEvents spec version", { const: "1.0" }),
  ce_id: h("eventId", { format: "uuid" }),
  ce_source: h("metadata.source: `process-manager` on every event the process manager sends (its steps)", {
    examples: ["eventscope/producer", "process-manager"],
  }),
  ce_type: h("eventType: an enumerated type or a lowercase user-activity type", {
    anyOf: [{ enum: eventTypeNames }, { pattern: activityEventTypePattern }],
  }),
  ce_time: h("timestamp (the event's time)", { format: "date-time" }),
  ce_subject: h("`<aggregateType>/<aggregateId>`", { examples: ["Order/order-123"] }),
  ce_aggregatetype: h("aggregateType", { enum: domains.map((d) => d.aggregateType) }),
  ce_aggregateid: h("aggregateId (also the record key)"),
  ce_correlationid: h("metadata.correlationId"),
  ce_causationid: h(
    "metadata.causationId, when set (on a process manager's step: the event that caused it; none for a timer)",
  ),
  ce_userid: h("metadata.userId, when set"),
  ce_acceptedat: h("metadata.acceptedAt: when the producer accepted the event", { format: "date-time" }),
  ce_metadata: h(
    "Other metadata fields, as a JSON object in a string, when there are any: e.g. `payloadHash`, the " +
      "producer's `sha256:<hex>` of the payload as the client sent it (idempotency)",
  ),
  ce_streamversion: h(
    "version: the expected version + 1 on ingest when the client sent one; the stream version once committed",
    {
      pattern: "^[0-9]+$",
    },
  ),
  ce_position: h("position: the global position (committed events)", { pattern: "^[0-9]+$" }),
  ce_storedat: h("storedAt: when the store appended it (committed events)", { format: "date-time" }),
  "content-type": h("The value's content type", { const: "application/json" }),
  traceparent: h("W3C trace context (plain header, as OpenTelemetry's Kafka propagation reads it)"),
  tracestate: h("W3C trace state, when set"),
};
const requiredHeaders = [
  "ce_specversion",
  "ce_id",
  "ce_source",
  "ce_type",
  "ce_time",
  "ce_subject",
  "ce_aggregatetype",
  "ce_aggregateid",
  "ce_correlationid",
  "content-type",
];
const rejectionHeaders: Record<string, Json> = {
  ce_rejectioncode: h("Why the store refused it: a stable code", { examples: knownRejectionCodes }),
  ce_rejectionreason: h("Why the store refused it, in words"),
};
export const deadLetterHeaders: Record<string, Json> = {
  "x-dead-letter-reason": h("Why the consumer parked it (e.g. `malformed: ce_specversion header missing`)"),
  "x-original-topic": h("Topic it was consumed from"),
  "x-original-partition": h("Partition it was consumed from", { pattern: "^[0-9]+$" }),
  "x-original-offset": h("Offset it had there", { pattern: "^[0-9]+$" }),
};

const headersSchema = (properties: Record<string, Json>, required: string[], description: string): Json => ({
  type: "object",
  description,
  required,
  properties,
});

const kafkaKey = (description: string): Json => ({
  bindings: { kafka: { key: { type: "string", description }, bindingVersion: "0.5.0" } },
});

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
  const op = (
    action: "send" | "receive",
    channelName: string,
    message: string,
    service: Service,
    summary: string,
    groupId?: string,
  ): Json => ({
    action,
    channel: { $ref: `#/channels/${channelName}` },
    summary,
    tags: [{ name: service }],
    messages: [{ $ref: `#/channels/${channelName}/messages/${message}` }],
    bindings: {
      kafka: {
        clientId: { type: "string", enum: [service] },
        ...(groupId ? { groupId: { type: "string", enum: [groupId] } } : {}),
        bindingVersion: "0.5.0",
      },
    },
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
        "The process manager sends no record itself (but dead letters): each step of a process is an event " +
        "POSTed to the producer, so it reaches events.ingest like any other, with `metadata.source` " +
        "`process-manager` (`ce_source`), the starting event's `correlationId` and the causing event as " +
        "`causationId`. Its event id is deterministic: a uuid v5 (RFC 4122, SHA-1) in the namespace " +
        `\`${stepNamespace}\` of \`<processId>\\u0000<step>\` (e.g. \`order:order-123\` and \`reserve:sku-1\`), ` +
        "so a step decided again after a redelivery or a crash is the same event and is stored once.\n\n" +
        `${aliasNote}\n\n` +
        "Generated by `node docs/generate.ts` from the contracts: do not edit.",
      tags: allServices.map((s) => ({ name: s, description: serviceDescriptions[s] })),
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
    operations: {
      producerSendIngest: op(
        "send",
        "ingest",
        "ingestEvent",
        "producer",
        "The producer publishes accepted events (idempotent, acks=all)",
      ),
      eventStoreReceiveIngest: op(
        "receive",
        "ingest",
        "ingestEvent",
        "event-store",
        "The store decides and appends accepted events in batches",
        eventStoreSettings.groupId.default,
      ),
      eventStoreSendCommitted: op(
        "send",
        "committed",
        "committedEvent",
        "event-store",
        "The store publishes appended events",
      ),
      eventStoreSendRejected: op(
        "send",
        "rejected",
        "rejectedEvent",
        "event-store",
        "The store publishes refused events with the reason",
      ),
      eventStoreSendDeadLetter: op(
        "send",
        "deadletter",
        "deadLetter",
        "event-store",
        "The store parks unreadable ingest records",
      ),
      projectionReceiveCommitted: op(
        "receive",
        "committed",
        "committedEvent",
        "projection",
        "The projection folds committed events into the read models, once per (stream, version)",
        projectionSettings.groupId.default,
      ),
      projectionSendDeadLetter: op(
        "send",
        "deadletter",
        "deadLetter",
        "projection",
        "The projection parks committed records it cannot apply",
      ),
      notificationReceiveCommitted: op(
        "receive",
        "committed",
        "committedEvent",
        "notification",
        "The notification service plans one delivery per (event, rule, channel)",
        notificationSettings.groupId.default,
      ),
      notificationSendDeadLetter: op(
        "send",
        "deadletter",
        "deadLetter",
        "notification",
        "The notification service parks committed records it cannot plan",
      ),
      processManagerReceiveCommitted: op(
        "receive",
        "committed",
        "committedEvent",
        "process-manager",
        "The process manager feeds each committed event, once per (stream, version), to the processes it " +
          "concerns, and marks its own steps committed",
        processManagerSettings.groupId.default,
      ),
      processManagerReceiveRejected: op(
        "receive",
        "rejected",
        "rejectedEvent",
        "process-manager",
        "The process manager learns which of its steps the store refused (e.g. too little stock for a " +
          "reservation) and compensates; others' rejections are skipped",
        `${processManagerSettings.groupId.default}-rejected`,
      ),
      processManagerSendDeadLetter: op(
        "send",
        "deadletter",
        "deadLetter",
        "process-manager",
        "The process manager parks committed records it cannot apply (malformed, a gap, poison)",
      ),
    },
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
