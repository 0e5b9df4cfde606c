// The store's size as gauges (events and streams held), counted on a timer by main.ts rather than
// per scrape, so that Prometheus never drives database load.
//
// Counted incrementally, exactly: events are never deleted and a stream is created by its event
// of version 1, so each refresh reads only the rows past a settled position (an index range)
// instead of counting both tables (a full scan, 67 ms at 560,000 events and growing with them).
// A position is settled once every transaction that was running when it was the highest seen has
// ended (the snapshot's xmin has passed the xmax of then): no row at or below it can still appear.
import type { Metrics, Pool } from "@eventscope/platform";

export interface StoreSizeCounter {
  refresh(): Promise<{ events: number; streams: number }>;
}

interface Settled {
  position: string;
  events: number;
  streams: number;
}

export function createStoreSizeCounter(pool: Pool, metrics: Metrics): StoreSizeCounter {
  let settled: Settled = { position: "0", events: 0, streams: 0 };
  // The highest position of the last refresh, and the snapshot's xmax then.
  let candidate: { position: string; xmax: bigint } | undefined;
  return {
    async refresh() {
      const upTo = candidate?.position ?? settled.position;
      const { rows } = await pool.query<{
        events: string;
        streams: string;
        settling_events: string;
        settling_streams: string;
        max: string | null;
        xmin: string;
        xmax: string;
      }>({
        name: "event-store-size",
        text: `SELECT count(*) AS events, count(*) FILTER (WHERE version = 1) AS streams,
                 count(*) FILTER (WHERE position <= $2) AS settling_events,
                 count(*) FILTER (WHERE position <= $2 AND version = 1) AS settling_streams,
                 max(position)::text AS max,
                 pg_snapshot_xmin(pg_current_snapshot())::text AS xmin,
                 pg_snapshot_xmax(pg_current_snapshot())::text AS xmax
               FROM events WHERE position > $1`,
        values: [settled.position, upTo],
      });
      const r = rows[0]!;
      const size = {
        events: settled.events + Number(r.events),
        streams: settled.streams + Number(r.streams),
      };
      if (candidate && BigInt(r.xmin) >= candidate.xmax) {
        settled = {
          position: candidate.position,
          events: settled.events + Number(r.settling_events),
          streams: settled.streams + Number(r.settling_streams),
        };
        candidate = undefined;
      }
      candidate ??= { position: r.max ?? settled.position, xmax: BigInt(r.xmax) };
      metrics.eventStoreSize.set(size.events);
      metrics.eventStoreStreams.set(size.streams);
      return size;
    },
  };
}
