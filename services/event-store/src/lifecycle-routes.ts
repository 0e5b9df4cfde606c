// Admin routes of a stream's lifecycle (archive, tombstone), its state and history, and the
// streams in one state (what rebuilds leave out). See lifecycle.ts for what each state means.
import { domainForAggregateType, streamIdOf } from "@eventscope/contracts";
import {
  ProblemError,
  conflict,
  intParam,
  notFound,
  validationError,
  type Pool,
  type Route,
} from "@eventscope/platform";
import {
  changeLifecycle,
  lifecycleHistory,
  listStreams,
  streamLifecycle,
  type ClosedLifecycle,
  type Lifecycle,
  type StreamLifecycle,
} from "./lifecycle.ts";
import { textParam } from "./store-params.ts";

const LIFECYCLES: readonly Lifecycle[] = ["open", "archived", "tombstoned"];

/** A stream that exists, or a 404 problem (an unknown aggregate type, no such stream). */
export async function existingStream(pool: Pool, params: Record<string, string>): Promise<StreamLifecycle> {
  const { aggregateType, aggregateId } = params as { aggregateType: string; aggregateId: string };
  if (!domainForAggregateType(aggregateType))
    throw notFound(`no domain declares aggregate type ${aggregateType}`);
  const found = await streamLifecycle(pool, streamIdOf(aggregateType, aggregateId));
  if (!found) throw notFound(`no stream ${streamIdOf(aggregateType, aggregateId)}`);
  return found;
}

/** A tombstoned stream is gone for readers: 410 with when and why. */
export function gone(stream: StreamLifecycle): ProblemError {
  return new ProblemError(`stream ${stream.streamId} is tombstoned`, {
    code: "STREAM_TOMBSTONED",
    status: 410,
    extra: { streamId: stream.streamId, tombstonedAt: stream.changedAt, reason: stream.reason },
  });
}

/** The stream's reads go on unless it is tombstoned; the answer says when it is archived. */
export async function readableStream(pool: Pool, aggregateType: string, aggregateId: string) {
  const found = await streamLifecycle(pool, streamIdOf(aggregateType, aggregateId));
  if (found?.lifecycle === "tombstoned") throw gone(found);
  return found;
}

function reasonOf(body: unknown): string | null {
  if (body === undefined) return null;
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw validationError("the request body must be a JSON object", [
      { field: "body", reason: "must be an object" },
    ]);
  const { reason, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw validationError(
      "unknown fields",
      unknown.map((f) => ({ field: `/${f}`, reason: "is not a field of this body" })),
    );
  if (reason === undefined) return null;
  if (typeof reason !== "string")
    throw validationError("invalid reason", [{ field: "/reason", reason: "must be a string" }]);
  return textParam(reason, "/reason", 500);
}

const change = (pool: Pool, to: ClosedLifecycle): Route => ({
  method: "POST",
  path: `/api/eventstore/streams/:aggregateType/:aggregateId/${to === "archived" ? "archive" : "tombstone"}`,
  scope: "admin",
  accepts: ["application/json"],
  bodyOptional: true,
  handler: async ({ params, body }) => {
    const reason = reasonOf(body);
    const stream = await existingStream(pool, params);
    const result = await changeLifecycle(pool, stream.streamId, to, reason);
    if (result.outcome === "missing") throw notFound(`no stream ${stream.streamId}`);
    if (result.outcome === "refused")
      throw conflict(`stream ${stream.streamId} is tombstoned: its lifecycle is final`, {
        streamId: stream.streamId,
        lifecycle: result.current.lifecycle,
      });
    return { status: 200, body: { ...result.current, changed: result.outcome === "changed" } };
  },
});

export function lifecycleRoutes(pool: Pool): Route[] {
  return [
    change(pool, "archived"),
    change(pool, "tombstoned"),
    {
      method: "GET",
      path: "/api/eventstore/streams/:aggregateType/:aggregateId/lifecycle",
      scope: "read",
      handler: async ({ params }) => {
        const stream = await existingStream(pool, params);
        return { status: 200, body: { ...stream, history: await lifecycleHistory(pool, stream.streamId) } };
      },
    },
    {
      method: "GET",
      path: "/api/eventstore/streams",
      scope: "read",
      handler: async ({ query }) => {
        const lifecycle = (query.get("lifecycle") || "tombstoned") as Lifecycle;
        if (!LIFECYCLES.includes(lifecycle))
          throw validationError("invalid lifecycle", [
            { field: "lifecycle", reason: `must be one of ${LIFECYCLES.join(", ")}` },
          ]);
        const after = query.get("after");
        const streams = await listStreams(
          pool,
          lifecycle,
          after ? textParam(after, "after", 400) : "",
          intParam(query, "limit", { fallback: 1000, min: 1, max: 10_000 }),
        );
        return {
          status: 200,
          body: {
            lifecycle,
            count: streams.length,
            streams,
            ...(streams.length > 0 ? { nextAfter: streams.at(-1)!.streamId } : {}),
          },
        };
      },
    },
  ];
}
