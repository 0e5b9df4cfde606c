// The event store's part of the documents: event status, streams, the gap-safe feed, replay,
// statistics and rejections; what it reads from and writes to the topics.
import { domains } from "@eventscope/contracts";
import { asyncOperation } from "../../../docs/lib/asyncapi.ts";
import {
  content,
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
  num,
  object,
  orNull,
  record,
  ref,
  str,
  uuid,
  type Json,
} from "../../../docs/lib/schema.ts";
import { knownRejectionCodes, payloadHashSchema } from "../../../docs/lib/events.ts";
import { stateSchemaOf } from "../../../docs/lib/read-models.ts";
import { createEventStoreApp } from "./app.ts";
import { eventStoreSettings } from "./config.ts";
import { MAX_RANGE_DAYS } from "./query-routes.ts";

function operations(): Operation[] {
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
        "410": gone,
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
        "410": gone,
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
    {
      service: "event-store",
      method: "POST",
      path: "/api/subjects/:subjectId/erase",
      operationId: "eraseSubject",
      summary: "Erase a data subject's personal data (admin)",
      description:
        "Crypto-shredding: deletes the subject's key (a customer id) at once, so every read of the store " +
        'from then on shows its personal fields as "[erased]", and drops its snapshots; records the erasure ' +
        "as a CustomerErased event of its stream (sent through events.ingest), after which the read models " +
        "hold null for its personal fields. Streams, versions and everything else keep working. " +
        "In the same transaction, the messages the store parked (dead letters) holding the subject id or one " +
        "of its personal values keep a stub in their place and are no longer replayed (409 " +
        "DEAD_LETTER_ERASED); every consuming service does the same with its own when it consumes the event. " +
        "DELETE /customer/{id} erases the same way once its CustomerDeleted is stored. Idempotent.",
      pathParams: { subjectId: pathParam("The data subject: a customer id", str("", { maxLength: 200 })) },
      requestBody: {
        required: false,
        content: content(
          object(
            { reason: str("Why (kept in the CustomerErased event)", { minLength: 1, maxLength: 1000 }) },
            [],
          ),
        ),
      },
      responses: {
        "202": okResponse(
          "Key deleted; the erasure event is on its way",
          record({
            subjectId: str(),
            keyDeleted: bool("False when the subject had no key (never had personal data, or erased before)"),
            events: arrayOf(
              record({ eventId: uuid(), eventType: str(), status: str("The event's status route") }),
            ),
          }),
        ),
        ...problems(415, 503),
      },
    },
    ...queryOperations(),
    ...lifecycleOperations(aggregateType),
    ...deadLetters,
  ];
}

const gone = problemResponse(
  "The stream is tombstoned (code STREAM_TOMBSTONED, with `streamId`, `tombstonedAt` and `reason`)",
);

const page = (): Json[] => [
  param(
    "after",
    "query",
    str("", { pattern: "^[0-9]{1,20}:[0-9]{1,19}$", default: "0:0" }),
    "Cursor `<transactionId>:<position>` from the previous page (the feed's)",
  ),
  param("limit", "query", int("", { minimum: 1, maximum: 1000, default: 100 }), "Most events per page"),
];

function queryOperations(): Operation[] {
  return [
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/events",
      operationId: "queryEvents",
      summary: "Events by event time and type across all streams, paged",
      description:
        "The feed narrowed to a date range of event time (`timestamp`, both ends inclusive), event types " +
        "and an aggregate type, in commit order with the feed's cursor and horizon, so a page once served " +
        `never changes. from after to, or a range wider than ${MAX_RANGE_DAYS} days (to defaults to now), ` +
        "is a 400 naming the field. Tombstoned streams are left out.",
      parameters: [
        param("from", "query", dateTime(), "Earliest event time (ISO 8601 date or date-time)"),
        param("to", "query", dateTime(), "Latest event time (ISO 8601 date or date-time)"),
        param(
          "type",
          "query",
          str("", { examples: ["OrderCreated,OrderPaid"] }),
          "Event types, comma-separated (at most 20)",
        ),
        param("aggregateType", "query", str("", { maxLength: 100 }), "Only this aggregate type"),
        ...page(),
      ],
      responses: {
        "200": okResponse("A page of the matching events", ref("EventQueryPage")),
        ...problems(400),
      },
    },
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/correlation/:correlationId",
      operationId: "eventsByCorrelation",
      summary: "All events of one correlation id (an order's whole story), paged",
      description:
        "Events whose metadata.correlationId is the id, across every domain, in commit order. The process " +
        "manager gives its steps the correlation id of the event that started the process (a checkout's " +
        "cart); a client ties its own writes in with the producer's X-Correlation-Id header. Deliveries of " +
        "those events are the notification service's (GET /api/deliveries?eventId=).",
      pathParams: { correlationId: pathParam("Correlation id", str("", { minLength: 1, maxLength: 200 })) },
      parameters: page(),
      responses: { "200": okResponse("A page of the story", ref("CorrelationPage")), ...problems(400) },
    },
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/positions/:position",
      operationId: "eventAtPosition",
      summary: "The event stored at a global position",
      description:
        "committed with the event, or pending when none is stored there (yet): positions are taken before a " +
        "transaction commits, and one an append took but rolled back stays pending.",
      pathParams: { position: pathParam("Global position", str("", { pattern: "^[0-9]{1,19}$" })) },
      responses: { "200": okResponse("The position's status", ref("PositionStatus")), ...problems(400) },
    },
  ];
}

function lifecycleOperations(aggregateType: Json): Operation[] {
  const change = (to: "archive" | "tombstone"): Operation => ({
    service: "event-store",
    method: "POST",
    path: `/api/eventstore/streams/:aggregateType/:aggregateId/${to}`,
    operationId: to === "archive" ? "archiveStream" : "tombstoneStream",
    summary:
      to === "archive"
        ? "Archive a stream (admin): read-only, kept"
        : "Tombstone a stream (admin): closed for good",
    description:
      to === "archive"
        ? "New events of the stream are rejected (STREAM_ARCHIVED); its reads, replays, the feed and rebuilds " +
          "keep it. Recorded in the stream's lifecycle history. Archiving it again changes nothing (changed: false)."
        : "New events are rejected (STREAM_TOMBSTONED); its stream reads and replays answer 410; the feed, the " +
          "event queries and so projection rebuilds leave its events out (a rebuilt read model drops its " +
          "documents; the live one keeps them until then). The events stay in the table. Final: archiving a " +
          "tombstoned stream is a 409.",
    pathParams: { aggregateType, aggregateId: pathParam("Aggregate id") },
    requestBody: {
      required: false,
      content: content(
        object({ reason: str("Why (kept in the history)", { minLength: 1, maxLength: 500 }) }, []),
      ),
    },
    responses: {
      "200": okResponse("The stream's lifecycle now", ref("StreamLifecycleChange")),
      ...problems(404, 409, 415),
    },
  });
  return [
    change("archive"),
    change("tombstone"),
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/streams/:aggregateType/:aggregateId/lifecycle",
      operationId: "streamLifecycle",
      summary: "A stream's lifecycle and every change of it",
      pathParams: { aggregateType, aggregateId: pathParam("Aggregate id") },
      responses: {
        "200": okResponse("Lifecycle and history", ref("StreamLifecycleHistory")),
        ...problems(404),
      },
    },
    {
      service: "event-store",
      method: "GET",
      path: "/api/eventstore/streams",
      operationId: "listStreams",
      summary: "Streams in one lifecycle state, by stream id",
      description:
        "What rebuilds leave out (tombstoned), or the archived ones; page with `after` = `nextAfter`.",
      parameters: [
        param("lifecycle", "query", { ...enumOf(lifecycles), default: "tombstoned" }, "Which state"),
        param("after", "query", str("", { maxLength: 400 }), "Stream id the previous page ended at"),
        param("limit", "query", int("", { minimum: 1, maximum: 10_000, default: 1000 }), "Most streams"),
      ],
      responses: { "200": okResponse("Streams", ref("StreamList")), ...problems(400) },
    },
  ];
}

const lifecycles = ["open", "archived", "tombstoned"];

function schemas(): Record<string, Json> {
  return {
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
      lifecycle: enumOf(lifecycles, "open, or archived (read-only)"),
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
      lifecycle: enumOf(lifecycles, "open, or archived (read-only)"),
    }),
    EventQueryPage: record({
      from: dateTime(),
      to: dateTime(),
      types: arrayOf(str()),
      aggregateType: str(),
      count: int(),
      events: arrayOf(ref("CommittedEvent"), "In commit order"),
      nextCursor: str("Cursor for the next page", { pattern: "^[0-9]+:[0-9]+$" }),
      caughtUp: bool("True when no more events match below the horizon"),
    }),
    CorrelationPage: record({
      correlationId: str(),
      count: int(),
      events: arrayOf(ref("CommittedEvent"), "In commit order"),
      nextCursor: str("Cursor for the next page", { pattern: "^[0-9]+:[0-9]+$" }),
      caughtUp: bool("True when no more events match below the horizon"),
    }),
    PositionStatus: {
      oneOf: [
        record({ position: str(), status: enumOf(["committed"]), event: ref("CommittedEvent") }),
        record({ position: str(), status: enumOf(["pending"]) }),
      ],
    },
    StreamLifecycle: record({
      streamId: str(),
      aggregateType: str(),
      aggregateId: str(),
      lifecycle: enumOf(lifecycles),
      changedAt: orNull(dateTime()),
      reason: orNull(str()),
    }),
    StreamLifecycleChange: record({
      streamId: str(),
      aggregateType: str(),
      aggregateId: str(),
      lifecycle: enumOf(lifecycles),
      changedAt: orNull(dateTime()),
      reason: orNull(str()),
      changed: bool("False when the stream was in that state already"),
    }),
    StreamLifecycleHistory: record({
      streamId: str(),
      aggregateType: str(),
      aggregateId: str(),
      lifecycle: enumOf(lifecycles),
      changedAt: orNull(dateTime()),
      reason: orNull(str()),
      history: arrayOf(
        record({
          lifecycle: enumOf(lifecycles),
          previous: enumOf(lifecycles),
          reason: orNull(str()),
          changedAt: dateTime(),
        }),
        "Oldest first",
      ),
    }),
    StreamList: record({
      lifecycle: enumOf(lifecycles),
      count: int(),
      streams: arrayOf(ref("StreamLifecycle")),
      nextAfter: str("The last stream id of this page"),
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
  };
}

export const eventStoreDocs: ServiceDocs = {
  service: "event-store",
  title: "Event store",
  port: eventStoreSettings.port.default,
  description:
    "The authority: consumes `events.ingest`, decides each event against its aggregate, appends it to " +
    "PostgreSQL and publishes it to `events.committed` (or `events.rejected` with a reason). Serves " +
    "event status, streams, the gap-safe global feed, replay and statistics.",
  consumer: true,
  routes: () =>
    createEventStoreApp({
      ...routeTableDeps("event-store"),
      ...consumingStubs,
    }).routes,
  operations,
  schemas,
  messaging: () => ({
    eventStoreReceiveIngest: asyncOperation(
      "receive",
      "ingest",
      "ingestEvent",
      "event-store",
      "The store decides and appends accepted events in batches",
      eventStoreSettings.groupId.default,
    ),
    eventStoreSendCommitted: asyncOperation(
      "send",
      "committed",
      "committedEvent",
      "event-store",
      "The store publishes appended events",
    ),
    eventStoreSendRejected: asyncOperation(
      "send",
      "rejected",
      "rejectedEvent",
      "event-store",
      "The store publishes refused events with the reason",
    ),
    eventStoreSendDeadLetter: asyncOperation(
      "send",
      "deadletter",
      "deadLetter",
      "event-store",
      "The store parks unreadable ingest records",
    ),
  }),
};
