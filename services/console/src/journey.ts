// An event through every hop, in one answer: its fate in the event store, its stream around
// it, the read-model documents it changed, the deliveries it caused, the process steps it
// started (and the process that sent it, when it is a step itself) and its trace as a
// waterfall. Each hop is asked on its own; one that fails is reported in its place and the
// others are still shown (only the status itself, which says whether the event exists, fails
// the whole answer).
import { activity } from "@eventscope/contracts";
import { ProblemError, isProblemError, type TopicNames } from "@eventscope/platform";
import type { KafkaView } from "./kafka-view.ts";
import type { Upstreams } from "./upstream.ts";
import { toWaterfall, type JaegerTrace, type Waterfall } from "./waterfall.ts";
import { parseTraceparent } from "./headers.ts";

// The read model that holds an aggregate type's documents (projection routes /api/<name>/:id).
export const readModelOf: Record<string, string> = {
  Order: "orders",
  Cart: "carts",
  Payment: "payments",
  Inventory: "inventory",
  Product: "products",
  Task: "tasks",
  Customer: "customers",
};

export interface Hop<T> {
  ok: boolean;
  value?: T;
  error?: { status: number; detail: string };
}

export interface SearchResult {
  eventId: string;
  eventType: string | null;
  aggregateType: string | null;
  aggregateId: string | null;
  version: number | null;
  timestamp: string | null;
}

export type Search =
  | { by: "eventId"; eventId: string }
  | { by: "aggregate"; aggregateType: string; aggregateId: string }
  | { by: "userId"; userId: string }
  | { by: "correlationId"; correlationId: string };

export interface JourneyDeps {
  upstreams: Upstreams;
  kafka: KafkaView;
  topics: TopicNames;
  jaegerUiUrl: string;
}

const STREAM_AROUND = 5;
const SEARCH_LIMIT = 100;
/** Newest committed messages per partition that a correlation-id search reads. */
export const CORRELATION_SCAN_PER_PARTITION = 500;

async function hop<T>(work: () => Promise<T>): Promise<Hop<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    const status = isProblemError(error) ? error.status : 500;
    const detail = error instanceof Error ? error.message : "failed";
    return { ok: false, error: { status, detail: detail.slice(0, 500) } };
  }
}

const fromStored = (e: any): SearchResult => ({
  eventId: e.eventId,
  eventType: e.eventType ?? null,
  aggregateType: e.aggregateType ?? null,
  aggregateId: e.aggregateId ?? null,
  version: e.version ?? null,
  timestamp: e.timestamp ?? null,
});

export async function searchEvents(
  deps: JourneyDeps,
  search: Search,
  apiKey?: string,
): Promise<SearchResult[]> {
  const { upstreams } = deps;
  switch (search.by) {
    case "eventId": {
      const status = await upstreams.json("event-store", {
        path: ["/api/eventstore/events/", { value: search.eventId }],
        apiKey,
      });
      if (status.status === "committed") return [fromStored(status.event)];
      return [
        {
          eventId: search.eventId,
          eventType: null,
          aggregateType: null,
          aggregateId: null,
          version: null,
          timestamp: null,
        },
      ];
    }
    case "aggregate": {
      const stream = await upstreams.json("event-store", {
        path: [
          "/api/eventstore/streams/",
          { value: search.aggregateType },
          "/",
          { value: search.aggregateId },
        ],
        query: { limit: 1000 },
        apiKey,
      });
      return (stream.events as any[]).slice(-SEARCH_LIMIT).reverse().map(fromStored);
    }
    case "userId": {
      const path = ["/api/events/user/", { value: search.userId }];
      const head = await upstreams.json("projection", { path, query: { limit: 1 }, apiKey });
      const offset = Math.max(0, Number(head.count) - SEARCH_LIMIT);
      const page = await upstreams.json("projection", {
        path,
        query: { limit: SEARCH_LIMIT, offset },
        apiKey,
      });
      return (page.events as any[]).reverse().map((e) => ({
        eventId: e.eventId,
        eventType: e.eventType,
        aggregateType: activity.aggregateType,
        aggregateId: e.userId,
        version: null,
        timestamp: e.timestamp,
      }));
    }
    case "correlationId": {
      const messages = await deps.kafka.tail(deps.topics.committed, CORRELATION_SCAN_PER_PARTITION);
      return messages
        .filter((m) => m.headers.cloudEvents.correlationid === search.correlationId)
        .sort((a, b) => b.timestamp.localeCompare(a.timestamp))
        .slice(0, SEARCH_LIMIT)
        .map((m) => ({
          eventId: m.headers.cloudEvents.id ?? "",
          eventType: m.headers.cloudEvents.type ?? null,
          aggregateType: m.headers.cloudEvents.aggregatetype ?? null,
          aggregateId: m.headers.cloudEvents.aggregateid ?? null,
          version: m.headers.cloudEvents.streamversion ? Number(m.headers.cloudEvents.streamversion) : null,
          timestamp: m.headers.cloudEvents.time ?? m.timestamp,
        }));
    }
  }
}

/** A process step as the process manager's GET /api/processes/steps answers it. */
export interface ProcessStep {
  processId: string;
  processType: string;
  step: string;
  /** The event the step produced (a uuid v5 of process id and step). */
  eventId: string;
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  status: string;
  [field: string]: unknown;
}

export interface Journey {
  eventId: string;
  status: any;
  stream: Hop<{
    aggregateType: string;
    aggregateId: string;
    events: any[];
    streamVersion: number | null;
  }> | null;
  readModels: Hop<{ model: string; id: string; document: unknown; applied: boolean | null }[]> | null;
  deliveries: Hop<any[]>;
  processSteps: Hop<{ started: ProcessStep[]; sentBy: ProcessStep | null }>;
  trace: Hop<{ traceId: string; jaegerUrl: string; waterfall: Waterfall | null }>;
}

export async function eventJourney(deps: JourneyDeps, eventId: string, apiKey?: string): Promise<Journey> {
  const { upstreams } = deps;
  const status = await upstreams.json("event-store", {
    path: ["/api/eventstore/events/", { value: eventId }],
    apiKey,
  });
  const event = status.status === "committed" ? status.event : undefined;

  const stream = event
    ? hop(async () => {
        const path = [
          "/api/eventstore/streams/",
          { value: event.aggregateType },
          "/",
          { value: event.aggregateId },
        ];
        const around = await upstreams.json("event-store", {
          path,
          query: {
            fromVersion: Math.max(1, event.version - STREAM_AROUND),
            toVersion: event.version + STREAM_AROUND,
          },
          apiKey,
        });
        return {
          aggregateType: event.aggregateType,
          aggregateId: event.aggregateId,
          events: around.events,
          streamVersion: (around.events as any[]).at(-1)?.version ?? null,
        };
      })
    : null;

  const readModels = event ? hop(() => readModelsOf(deps, event, apiKey)) : null;

  const deliveries = hop(async () => {
    const answer = await upstreams.json("notification", {
      path: ["/api/deliveries"],
      query: { eventId, limit: 100 },
      apiKey,
    });
    return answer.deliveries as any[];
  });

  const processSteps = hop(async () => {
    const steps = (query: Record<string, string>) =>
      upstreams.json("process-manager", { path: ["/api/processes/steps"], query, apiKey }).then((answer) => {
        if (!Array.isArray(answer?.steps))
          throw new ProblemError("the process manager answered no list of steps", {
            code: "UPSTREAM_ERROR",
            status: 502,
          });
        return answer.steps as ProcessStep[];
      });
    const [started, sentBy] = await Promise.all([steps({ causedBy: eventId }), steps({ eventId })]);
    return { started, sentBy: sentBy[0] ?? null };
  });

  const trace = hop(async () => {
    const traceId =
      parseTraceparent(event?.metadata?.traceparent)?.traceId ?? (await findTraceId(upstreams, eventId));
    if (!traceId)
      throw new ProblemError("no trace of this event in Jaeger", { code: "NOT_FOUND", status: 404 });
    const jaegerUrl = `${deps.jaegerUiUrl.replace(/\/+$/, "")}/trace/${traceId}`;
    const answer = await upstreams.call("jaeger", { path: ["/api/traces/", { value: traceId }] });
    if (answer.status === 404) return { traceId, jaegerUrl, waterfall: null };
    if (answer.status !== 200)
      throw new ProblemError(`jaeger answered ${answer.status}`, { code: "UPSTREAM_ERROR", status: 502 });
    const found = (answer.body?.data as JaegerTrace[] | undefined)?.[0];
    return { traceId, jaegerUrl, waterfall: found ? toWaterfall(found) : null };
  });

  return {
    eventId,
    status,
    stream: stream ? await stream : null,
    readModels: readModels ? await readModels : null,
    deliveries: await deliveries,
    processSteps: await processSteps,
    trace: await trace,
  };
}

async function readModelsOf(deps: JourneyDeps, event: any, apiKey?: string) {
  const { upstreams } = deps;
  if (event.aggregateType === activity.aggregateType) {
    // The user-activity model: one row per event; found among the user's newest rows.
    const path = ["/api/events/user/", { value: event.aggregateId }];
    const head = await upstreams.json("projection", { path, query: { limit: 1 }, apiKey });
    const offset = Math.max(0, Number(head.count) - 1000);
    const page = await upstreams.json("projection", { path, query: { limit: 1000, offset }, apiKey });
    const row = (page.events as any[]).find((e) => e.eventId === event.eventId);
    return [
      { model: "user_activity", id: event.aggregateId, document: row ?? null, applied: row !== undefined },
    ];
  }
  const model = readModelOf[event.aggregateType];
  if (!model) return [];
  const answer = await upstreams.call("projection", {
    path: [`/api/${model}/`, { value: event.aggregateId }],
    apiKey,
  });
  if (answer.status === 404) return [{ model, id: event.aggregateId, document: null, applied: false }];
  if (answer.status !== 200)
    throw new ProblemError(`projection answered ${answer.status}`, {
      code: "UPSTREAM_ERROR",
      status: answer.status,
    });
  return [{ model, id: event.aggregateId, document: answer.body, applied: null }];
}

/** A pending or rejected event has no stored traceparent: its spans carry its id. */
async function findTraceId(upstreams: Upstreams, eventId: string): Promise<string | undefined> {
  for (const service of ["event-store", "producer"]) {
    const answer = await upstreams.call("jaeger", {
      path: ["/api/traces"],
      query: { service, tags: JSON.stringify({ "eventscope.event.id": eventId }), limit: 1, lookback: "24h" },
    });
    const id = (answer.body?.data as JaegerTrace[] | undefined)?.[0]?.traceID;
    if (answer.status === 200 && id) return id;
  }
  return undefined;
}
