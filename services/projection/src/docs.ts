// The projection's part of the documents: the read models and user activity it serves, projection
// status and rebuild, and what it reads from the topics.
import { activityEventTypePattern } from "@eventscope/contracts";
import { asyncOperation } from "../../../docs/lib/asyncapi.ts";
import {
  okResponse,
  param,
  pathParam,
  pRef,
  problemResponse,
  problems,
  consumingStubs,
  routeTableDeps,
  type Operation,
  type ServiceDocs,
} from "../../../docs/lib/openapi.ts";
import { deadLetterOperations } from "../../../docs/lib/platform.ts";
import {
  arrayOf,
  bool,
  dateTime,
  enumOf,
  int,
  orNull,
  record,
  ref,
  str,
  uuid,
  type Json,
} from "../../../docs/lib/schema.ts";
import { readModelSchemas, userActivityState } from "../../../docs/lib/read-models.ts";
import { createProjectionApp } from "./app.ts";
import { projectionSettings } from "./config.ts";
import { documentModels, projectionNames } from "./read-models.ts";

// Every read route waits for the client's write when it names one (read-your-writes).
const fresh: Json[] = [pRef("AfterEventId"), pRef("MinPosition"), pRef("WaitMs")];
const freshParameters = (): Record<string, Json> => ({
  AfterEventId: param(
    "afterEventId",
    "query",
    str("", { pattern: "^[0-9a-fA-F-]{36}(,[0-9a-fA-F-]{36}){0,19}$" }),
    "Wait until the read models have applied this event (the eventId, or readAfter.afterEventId, a write " +
      "answered); up to 20 ids, comma-separated",
  ),
  MinPosition: param(
    "minPosition",
    "query",
    str("", { pattern: "^[0-9]{1,19}$" }),
    "Wait until the read models have applied the event stored at this global position (from its status)",
  ),
  WaitMs: param(
    "waitMs",
    "query",
    int("", { minimum: 0, maximum: projectionSettings.readWaitMaxMs.default }),
    "How long to wait, at most READ_WAIT_MAX_MS (the default); only with afterEventId or minPosition",
  ),
  AsOf: param(
    "asOf",
    "query",
    dateTime(),
    "The document as it was at this event time, rebuilt from the event store's streams with the read " +
      "model's own fold (headers X-As-Of and X-As-Of-Events); not with afterEventId or minPosition",
  ),
});
const freshAnswers: Record<string, Json> = {
  "404": problemResponse(
    "Not found; or (code EVENT_REJECTED, with rejectionCode, reason and rejectedAt) the event store rejected the write waited for",
  ),
  "503": problemResponse(
    "READ_MODEL_STALE (with Retry-After): the write was not applied within the wait (`store`: pending, or " +
      "stored with its streamId and version); UNAVAILABLE: the event store could not be asked",
  ),
};
const asOf = pRef("AsOf");
const asOfGone = problemResponse("asOf: the stream is tombstoned in the event store");

function operations(): Operation[] {
  const page = [pRef("Limit"), pRef("Offset"), ...fresh];
  const activityList = (extra: Record<string, Json>) =>
    Object.keys(extra).length === 0 ? ref("ActivityList") : { allOf: [ref("ActivityList"), record(extra)] };
  const models: Operation[] = documentModels.flatMap((model): Operation[] => {
    const doc = readModelSchemas[model.name];
    if (!doc) throw new Error(`read model ${model.name} has no schema in docs/lib/read-models.ts`);
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
          ...freshAnswers,
        },
      },
      {
        service: "projection",
        method: "GET",
        path: `/api/${model.name}/:id`,
        operationId: `get${doc.schema}`,
        summary: `One item of the ${model.name} read model`,
        pathParams: { id: pathParam(`${doc.aggregateType} id`) },
        parameters: [...fresh, asOf],
        responses: {
          "200": okResponse("The item", ref(doc.schema)),
          ...problems(404),
          ...freshAnswers,
          "410": asOfGone,
        },
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
      responses: {
        "200": okResponse("Activity events in stored order", activityList({})),
        ...problems(400),
        ...freshAnswers,
      },
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
        ...freshAnswers,
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
        ...freshAnswers,
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
      parameters: [...fresh, asOf],
      responses: {
        "200": okResponse("The customer", ref("CustomerReadModel")),
        ...problems(404),
        ...freshAnswers,
        "410": asOfGone,
      },
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

function schemas(): Record<string, Json> {
  const readModels: Record<string, Json> = {};
  for (const model of Object.values(readModelSchemas)) readModels[model.schema] = model.shape;
  return {
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
  };
}

export const projectionDocs: ServiceDocs = {
  service: "projection",
  title: "Projection (read models)",
  port: projectionSettings.port.default,
  description:
    "The read side: consumes `events.committed` into read models (one per domain, plus user activity) " +
    "and serves them; projection status and rebuild.",
  consumer: true,
  routes: () =>
    createProjectionApp({
      ...routeTableDeps("projection"),
      ...consumingStubs,
      status: async () => [],
      rebuild: () => false,
    }).routes,
  operations,
  schemas,
  parameters: freshParameters,
  messaging: () => ({
    projectionReceiveCommitted: asyncOperation(
      "receive",
      "committed",
      "committedEvent",
      "projection",
      "The projection folds committed events into the read models, once per (stream, version)",
      projectionSettings.groupId.default,
    ),
    projectionSendDeadLetter: asyncOperation(
      "send",
      "deadletter",
      "deadLetter",
      "projection",
      "The projection parks committed records it cannot apply",
    ),
  }),
};
