import type { Pool } from "@eventscope/platform";
import type { Incoming } from "./parse.ts";
import { findDecided, type KnownOutcome } from "./store.ts";

export interface Sorted {
  /** Events the store has never decided, each once, in ingest order. */
  fresh: Incoming[];
  /** Events decided before (a redelivery, or a second copy inside this chunk): republished as stored. */
  repeats: Incoming[];
  /** What the store decided for the repeats, by event id. */
  decided: Map<string, KnownOutcome>;
}

/** Stage 2 of the write path: tells the events already decided from the new ones, in one query. */
export async function recogniseRedeliveries(pool: Pool, incoming: Incoming[]): Promise<Sorted> {
  const decided = await findDecided(pool, [...new Set(incoming.map((i) => i.envelope.eventId))]);
  const seen = new Set<string>();
  const sorted: Sorted = { fresh: [], repeats: [], decided };
  for (const item of incoming) {
    const id = item.envelope.eventId;
    if (decided.has(id) || seen.has(id)) sorted.repeats.push(item);
    else {
      seen.add(id);
      sorted.fresh.push(item);
    }
  }
  return sorted;
}
