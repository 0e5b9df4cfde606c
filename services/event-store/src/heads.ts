import { streamIdOf, type EventEnvelope } from "@eventscope/contracts";
import type { Pool } from "@eventscope/platform";
import { headFrom, type Head } from "./decide.ts";
import { closedStreams } from "./lifecycle.ts";
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
    /**
     * Loads the heads of these events' streams that are not cached, in two queries, and marks
     * the closed ones (archived, tombstoned) afresh each time: a lifecycle change made by an
     * admin route, on any instance, holds from the next chunk on.
     */
    async ensure(events: EventEnvelope[]): Promise<void> {
      const missing = new Map<string, string>();
      const ids = new Set<string>();
      for (const e of events) {
        const id = streamIdOf(e.aggregateType, e.aggregateId);
        ids.add(id);
        if (!heads.has(id)) missing.set(id, e.aggregateType);
      }
      const [closed] = await Promise.all([
        closedStreams(pool, [...ids]),
        missing.size === 0
          ? undefined
          : loadStreamTails(pool, [...missing.keys()]).then(({ snapshots, events: tails }) => {
              for (const [streamId, aggregateType] of missing)
                set(streamId, headFrom(aggregateType, snapshots.get(streamId), tails.get(streamId) ?? []));
            }),
      ]);
      for (const [streamId, lifecycle] of closed) {
        const head = heads.get(streamId);
        if (head) heads.set(streamId, { ...head, lifecycle });
      }
    },
  };
}

export type HeadCache = ReturnType<typeof createHeadCache>;
