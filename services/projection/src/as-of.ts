// Temporal queries: a document as it was at a time, rebuilt on demand from the event store's
// streams (its HTTP API) with the read model's own fold. "As of" is event time, as for the
// store's replay (`at`): each stream counts up to its last version whose timestamp is at or
// before the time, and the streams are folded together in global position order.
import { domains, type CommittedEvent } from "@eventscope/contracts";
import { ProblemError, type Pool } from "@eventscope/platform";
import type { DocumentModel } from "./read-models.ts";
import type { StoreClient } from "./store-client.ts";

const PAGE = 10_000;

interface Stream {
  aggregateType: string;
  aggregateId: string;
}

/** The streams a document folds: its aggregate's, and for an order the payments made for it. */
export async function streamsOf(pool: Pool, model: DocumentModel, id: string): Promise<Stream[]> {
  if (model.name === "orders") {
    const { rows } = await pool.query<{ id: string }>("SELECT id FROM payments WHERE order_id = $1", [id]);
    return [
      { aggregateType: "Order", aggregateId: id },
      ...rows.map((r) => ({ aggregateType: "Payment", aggregateId: r.id })),
    ];
  }
  const domain = domains.find((d) => d.name === model.name);
  return domain ? [{ aggregateType: domain.aggregateType, aggregateId: id }] : [];
}

/** A stream's events up to its last version at or before `asOf`; a tombstoned stream is a 410. */
async function streamUpTo(store: StoreClient, stream: Stream, asOf: number): Promise<CommittedEvent[]> {
  const out: CommittedEvent[] = [];
  const base = `/api/eventstore/streams/${encodeURIComponent(stream.aggregateType)}/${encodeURIComponent(stream.aggregateId)}`;
  for (let from = 1; ;) {
    const { status, body } = await store.get<{ events: CommittedEvent[]; detail?: string; code?: string }>(
      `${base}?fromVersion=${from}&limit=${PAGE}`,
    );
    if (status === 410)
      throw new ProblemError(body.detail ?? "the stream is tombstoned", {
        code: "STREAM_TOMBSTONED",
        status: 410,
      });
    if (status !== 200) return out;
    out.push(...body.events);
    if (body.events.length < PAGE) break;
    from = body.events.at(-1)!.version + 1;
  }
  return upToTime(out, asOf);
}

/**
 * A stream's events (in version order) up to its last one whose event time is at or before
 * `asOf` (epoch ms): an earlier event stamped later than a following one does not cut the
 * stream short.
 */
export function upToTime(events: CommittedEvent[], asOf: number): CommittedEvent[] {
  let last = -1;
  for (let i = 0; i < events.length; i++) if (Date.parse(events[i]!.timestamp) <= asOf) last = i;
  return events.slice(0, last + 1);
}

/**
 * The document folded from its streams' events (each already cut at the time) in global
 * position order, with the model's fold; undefined when none of them is the model's.
 */
export function foldAsOf(model: DocumentModel, streams: CommittedEvent[][]): AsOfDocument | undefined {
  const events = streams
    .flat()
    .filter((e) => model.handles(e))
    .sort((a, b) => (BigInt(a.position) < BigInt(b.position) ? -1 : 1));
  if (events.length === 0) return undefined;
  let doc = model.initial();
  for (const e of events) doc = model.evolve(doc, e);
  return { doc, events: events.length };
}

export interface AsOfDocument {
  doc: unknown;
  events: number;
}

/** The document as of `asOf` (ISO time), or undefined when none of its events had happened. */
export async function documentAsOf(
  pool: Pool,
  store: StoreClient,
  model: DocumentModel,
  id: string,
  asOf: string,
): Promise<AsOfDocument | undefined> {
  const at = Date.parse(asOf);
  const streams = await streamsOf(pool, model, id);
  return foldAsOf(model, await Promise.all(streams.map((s) => streamUpTo(store, s, at))));
}
