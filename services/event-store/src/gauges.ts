// The store's size as gauges (events and streams held), counted on a timer by main.ts rather than
// per scrape, so that Prometheus never drives database load.
import type { Metrics, Pool } from "@eventscope/platform";

export async function refreshStoreSize(pool: Pool, metrics: Metrics): Promise<void> {
  const { rows } = await pool.query<{ events: string; streams: string }>(
    "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM streams) AS streams",
  );
  metrics.eventStoreSize.set(Number(rows[0]?.events ?? 0));
  metrics.eventStoreStreams.set(Number(rows[0]?.streams ?? 0));
}
