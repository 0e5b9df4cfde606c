// The store's queries over all streams: events by event time and type, an order's whole story by
// its correlation id, the event at a global position. Each pages like the feed (commit order,
// the feed's cursor, below its horizon), so a page once served never changes.
import { dateTimeParam, intParam, validationError, type Pool, type Route } from "@eventscope/platform";
import { eventAtPosition, readFeed } from "./queries.ts";
import { feedCursor, positionParam, textParam, typesParam } from "./store-params.ts";

/** The widest date range one query takes; narrower ranges page faster (an index on event time). */
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

const pageOf = (query: URLSearchParams) => ({
  after: feedCursor(query.get("after") || "0:0"),
  limit: intParam(query, "limit", { fallback: 100, min: 1, max: 1000 }),
});

/** from/to of event time: from at or before to, at most MAX_RANGE_DAYS apart (to defaults to now). */
export function dateRange(query: URLSearchParams, now = Date.now()): { from?: string; to?: string } {
  const from = dateTimeParam(query, "from");
  const to = dateTimeParam(query, "to");
  if (from !== undefined && to !== undefined && from > to)
    throw validationError("invalid date range", [{ field: "from", reason: "must not be after to" }]);
  if (
    from !== undefined &&
    (to === undefined ? now : Date.parse(to)) - Date.parse(from) > MAX_RANGE_DAYS * DAY_MS
  )
    throw validationError("invalid date range", [
      { field: to === undefined ? "from" : "to", reason: `the range spans more than ${MAX_RANGE_DAYS} days` },
    ]);
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

export function queryRoutes(pool: Pool): Route[] {
  return [
    {
      method: "GET",
      path: "/api/eventstore/events",
      scope: "read",
      handler: async ({ query }) => {
        const range = dateRange(query);
        const types = typesParam(query);
        const rawAggregateType = query.get("aggregateType");
        const aggregateType = rawAggregateType
          ? textParam(rawAggregateType, "aggregateType", 100)
          : undefined;
        const { after, limit } = pageOf(query);
        const page = await readFeed(pool, after, limit, { ...range, types, aggregateType });
        return {
          status: 200,
          body: {
            ...range,
            ...(types ? { types } : {}),
            ...(aggregateType ? { aggregateType } : {}),
            count: page.events.length,
            ...page,
          },
        };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/correlation/:correlationId",
      scope: "read",
      handler: async ({ params, query }) => {
        const correlationId = textParam(params.correlationId!, "correlationId");
        const { after, limit } = pageOf(query);
        const page = await readFeed(pool, after, limit, { correlationId });
        return { status: 200, body: { correlationId, count: page.events.length, ...page } };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/positions/:position",
      scope: "read",
      handler: async ({ params }) => ({
        status: 200,
        body: await eventAtPosition(pool, positionParam(params.position!, "position")),
      }),
    },
  ];
}
