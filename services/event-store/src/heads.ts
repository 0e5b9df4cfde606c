import { streamIdOf, type EventEnvelope } from "@eventscope/contracts";
import type { Pool } from "@eventscope/platform";
import { headFrom, type Head } from "./decide.ts";
import { loadStreamTails } from "./store.ts";

/**
 * The heads (version and state) of recently written streams, kept between batches so that
 * deciding needs no read; a missing head is rebuilt from the latest snapshot and the events
 * after it. Least recently used heads are dropped past `size`.
 */
export function createHeadCache(pool: Pool, size: number) {
  const heads = new Map<string, Head>();
  const set = (streamId: string, head: Head) => {
    heads.delete(streamId);
    heads.set(streamId, head);
    if (heads.size > size) heads.delete(heads.keys().next().value!);
  };
  return {
    get: (streamId: string) => heads.get(streamId),
    set,
    drop: (streamIds: Iterable<string>) => {
      for (const id of streamIds) heads.delete(id);
    },
    clear: () => heads.clear(),
    /** Loads the heads of these events' streams that are not cached, in two queries. */
    async ensure(events: EventEnvelope[]): Promise<void> {
      const missing = new Map<string, string>();
      for (const e of events) {
        const id = streamIdOf(e.aggregateType, e.aggregateId);
        if (!heads.has(id)) missing.set(id, e.aggregateType);
      }
      if (missing.size === 0) return;
      const { snapshots, events: tails } = await loadStreamTails(pool, [...missing.keys()]);
      for (const [streamId, aggregateType] of missing)
        set(streamId, headFrom(aggregateType, snapshots.get(streamId), tails.get(streamId) ?? []));
    },
  };
}

export type HeadCache = ReturnType<typeof createHeadCache>;
