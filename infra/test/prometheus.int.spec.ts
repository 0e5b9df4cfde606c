import { describe, expect, it } from "vitest";
import { testEnv } from "../src/test-env.ts";

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string): Promise<VectorResult[]> {
  const res = await fetch(`${testEnv.prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { status: string; data: { resultType: string; result: VectorResult[] } };
  expect(body.status).toBe("success");
  return body.data.result;
}

/** Polls until the query returns a sample with this value (a fresh Prometheus needs one scrape). */
async function eventually(promql: string, value: string, timeoutMs = 20_000): Promise<VectorResult[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await query(promql);
    if (result.length > 0 && result.every((r) => r.value[1] === value)) return result;
    if (Date.now() > deadline) return result;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("Prometheus", () => {
  it("scrapes itself successfully", async () => {
    const result = await eventually('up{job="prometheus"}', "1");
    expect(result.map((r) => r.value[1])).toEqual(["1"]);
  });

  it("scrapes Jaeger's own metrics successfully", async () => {
    const result = await eventually('up{job="jaeger"}', "1");
    expect(result.map((r) => r.value[1])).toEqual(["1"]);
  });

  it("scrapes the Kafka broker's JMX exporter agent: broker, topic and request series", async () => {
    expect((await eventually('up{job="kafka"}', "1")).map((r) => r.value[1])).toEqual(["1"]);
    const names = [
      "kafka_server_bytes_in_total",
      "kafka_topic_bytes_in_total",
      "kafka_network_requests_total",
      "kafka_network_request_total_time_ms",
      "kafka_server_under_replicated_partitions",
      "kafka_controller_offline_partitions",
      "kafka_log_size_bytes",
    ];
    const found = await query(`count by (__name__) ({job="kafka",__name__=~"${names.join("|")}"})`);
    expect(found.map((r) => r.metric.__name__).sort()).toEqual([...names].sort());
    // Healthy single-node broker: nothing under-replicated or offline.
    const health = await query(
      'max(kafka_server_under_replicated_partitions{job="kafka"}) + max(kafka_controller_offline_partitions{job="kafka"})',
    );
    expect(health.map((r) => r.value[1])).toEqual(["0"]);
  });

  it("scrapes PostgreSQL through its exporter: connections, transactions, WAL and the store's tables", async () => {
    expect((await eventually('up{job="postgres"}', "1")).map((r) => r.value[1])).toEqual(["1"]);
    expect((await query('pg_up{job="postgres"}')).map((r) => r.value[1])).toEqual(["1"]);
    const names = [
      "pg_settings_max_connections",
      "pg_stat_activity_count",
      "pg_stat_database_xact_commit",
      "pg_stat_database_xact_rollback",
      "pg_locks_count",
      "pg_stat_wal_bytes_total",
      "pg_store_table_size_bytes",
    ];
    const found = await query(`count by (__name__) ({job="postgres",__name__=~"${names.join("|")}"})`);
    expect(found.map((r) => r.metric.__name__).sort()).toEqual([...names].sort());
    const events = await query(
      'pg_store_table_size_bytes{job="postgres",schema="event_store",table="events"}',
    );
    expect(Number(events[0]?.value[1])).toBeGreaterThan(0);
  });

  it("has a scrape target for each of the four services on /metrics", async () => {
    const res = await fetch(`${testEnv.prometheusUrl}/api/v1/targets?state=any`);
    const body = (await res.json()) as {
      data: { activeTargets: { labels: Record<string, string>; scrapeUrl: string }[] };
    };
    const byJob = new Map(body.data.activeTargets.map((t) => [t.labels.job, t.scrapeUrl]));
    for (const job of ["producer", "event-store", "projection", "notification"]) {
      expect(byJob.get(job), job).toMatch(/\/metrics$/);
    }
  });

  it("accepts remote-write (the receiver the load engines use, native and k6, is enabled)", async () => {
    // An empty body is not a valid write request: 400 means the receiver exists (404 if disabled).
    const res = await fetch(`${testEnv.prometheusUrl}/api/v1/write`, { method: "POST", body: "" });
    expect(res.status).toBe(400);
  });
});
