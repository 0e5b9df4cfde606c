// The telemetry contract on the running stack (`make up`), in the manner of the OpenTelemetry
// demo's trace-based tests: after an order lifecycle posted through the producer,
//  - Jaeger holds one trace per event (the trace id of the 202's traceparent), continuous across
//    Kafka, with spans from the four services;
//  - Prometheus holds every metric of the shared catalogue (createMetrics) with data;
//  - every log line about an event carries that event's trace id (and span id, eventId, correlationId);
//  - each consuming service's GET /lag reports its group, back to zero lag and OK once traffic stops.
import { beforeAll, describe, expect, it } from "vitest";
import { createMetrics } from "@eventscope/platform";
import { request, waitFor } from "@eventscope/testkit";
import {
  consumers,
  jaegerTrace,
  logLines,
  orderLifecycle,
  promQuery,
  scrapedSince,
  services,
  servicesOf,
  urls,
  type Accepted,
  type JaegerTrace,
} from "./support.ts";

let accepted: Accepted[] = [];
let started = 0;
const emailed = new Set(["OrderCreated", "OrderConfirmed", "OrderShipped", "OrderDelivered"]);

beforeAll(async () => {
  started = Date.now();
  ({ accepted } = await orderLifecycle());
}, 120_000);

/** The spans of a trace whose parent is not in it. */
const rootsOf = (t: JaegerTrace) => {
  const ids = new Set(t.spans.map((s) => s.spanID));
  return t.spans.filter((s) => !s.references.some((r) => r.refType === "CHILD_OF" && ids.has(r.spanID)));
};

describe("traces", () => {
  it("one trace per event, from the 202's traceparent, with spans of all four services", async () => {
    const stored = accepted.filter((a) => a.outcome === "committed");
    expect(new Set(accepted.map((a) => a.traceId)).size, "a trace of its own for each event").toBe(
      accepted.length,
    );
    const traces = new Map<string, JaegerTrace>();
    await waitFor(
      async () => {
        for (const a of stored) {
          if (traces.has(a.eventId)) continue;
          const t = await jaegerTrace(a.traceId);
          // Spans reach Jaeger in batches, a child's sometimes before its parent's (the process
          // manager's steps of a checkout come later): wait for the whole tree, not only for
          // every service to appear. A trace that never closes still fails after the wait.
          if (t && services.every((s) => servicesOf(t).has(s)) && rootsOf(t).length === 1)
            traces.set(a.eventId, t);
        }
        return traces.size === stored.length ? true : undefined;
      },
      60_000,
      "Jaeger to hold a four-service trace for every stored event",
    ).catch((error: Error) => {
      const missing = stored.filter((a) => !traces.has(a.eventId)).map((a) => `${a.eventType} ${a.traceId}`);
      throw new Error(`${error.message}; incomplete: ${missing.join(", ")}`);
    });
    for (const a of stored) {
      const t = traces.get(a.eventId)!;
      // The produce span and the consumer spans of every consuming service name the event.
      const spansOfEvent = t.spans.filter((s) =>
        s.tags.some((g) => g.key === "eventscope.event.id" && g.value === a.eventId),
      );
      // (The process manager names the events one of its sagas takes, e.g. a customer's.)
      const naming = new Set(spansOfEvent.map((s) => t.processes[s.processID]!.serviceName));
      naming.delete("process-manager");
      expect([...naming].sort(), a.eventType).toEqual([
        "event-store",
        "notification",
        "producer",
        "projection",
      ]);
      // One continuous trace (parent-child across Kafka): every parent is in the trace, one root.
      const roots = rootsOf(t);
      expect(
        roots.map((r) => `${t.processes[r.processID]!.serviceName} ${r.operationName}`),
        a.eventType,
      ).toHaveLength(1);
      expect(t.processes[roots[0]!.processID]!.serviceName).toBe("producer");
    }
    // The e-mail of an order event is sent within the event's trace (SMTP client span).
    const created = traces.get(accepted.find((a) => a.eventType === "OrderCreated")!.eventId)!;
    await waitFor(
      async () => {
        const t = await jaegerTrace(created.traceID);
        return t?.spans.some((s) => s.operationName === "smtp send") ? true : undefined;
      },
      30_000,
      "the SMTP span in the OrderCreated trace",
    );
  });

  it("the rejected event's trace runs from the producer to the event store", async () => {
    const rejected = accepted.find((a) => a.outcome === "rejected")!;
    const t = await waitFor(
      async () => {
        const found = await jaegerTrace(rejected.traceId);
        return found && servicesOf(found).has("event-store") ? found : undefined;
      },
      30_000,
      "the rejected event's trace",
    );
    expect(servicesOf(t).has("producer")).toBe(true);
  });
});

describe("metrics", () => {
  it("Prometheus holds every metric of the catalogue with data", async () => {
    await scrapedSince(started);
    // Prometheus' names for what createMetrics registers (custom and prom-client defaults).
    const catalogue = (await createMetrics("catalogue").registry.getMetricsAsJSON()).map((m) =>
      String(m.type) === "histogram" ? `${m.name}_count` : m.name,
    );
    expect(catalogue.length).toBeGreaterThan(40);
    // prom-client's per-type count of libuv requests has a series only while one is in flight.
    const conditional = new Set(["nodejs_active_requests"]);
    const missing: string[] = [];
    for (const name of catalogue.filter((n) => !conditional.has(n))) {
      const series = await promQuery(`count(last_over_time({__name__="${name}", service!=""}[10m]))`);
      if (series.length === 0) missing.push(name);
    }
    expect(missing, "catalogue metrics without data in Prometheus").toEqual([]);
  });

  it("holds the lag gauges of every consuming group and the per-stage latency of this traffic", async () => {
    for (const c of consumers) {
      const lag = await promQuery(`kafka_consumer_lag{service="${c.service}"}`);
      expect(lag.length, c.service).toBeGreaterThan(0);
      expect((await promQuery(`kafka_consumer_lag_verdict{service="${c.service}"}`)).length).toBeGreaterThan(
        0,
      );
      expect((await promQuery(`kafka_consumer_lag_seconds{service="${c.service}"}`)).length).toBeGreaterThan(
        0,
      );
    }
    // The counts themselves, not increase(): on a fresh stack a series may be first scraped after
    // all of this traffic, and increase() over samples that never change is 0.
    const stages = await promQuery("sum by (stage) (event_end_to_end_latency_seconds_count)");
    expect(stages.map((s) => s.metric.stage).sort()).toEqual(["notified", "projected", "stored"]);
    for (const s of stages) expect(Number(s.value![1]), s.metric.stage).toBeGreaterThan(0);
  });

  it("links latency to traces with exemplars carrying trace ids of this traffic", async () => {
    const traceIds = new Set(accepted.map((a) => a.traceId));
    const res = await waitFor(
      async () => {
        const r = await fetch(
          `${urls.prometheus}/api/v1/query_exemplars?${new URLSearchParams({
            query: "event_end_to_end_latency_seconds_bucket",
            start: String(started / 1000 - 5),
            end: String(Date.now() / 1000),
          })}`,
        );
        const body = (await r.json()) as {
          data: { seriesLabels: Record<string, string>; exemplars: { labels: { trace_id?: string } }[] }[];
        };
        const ours = body.data
          .flatMap((d) => d.exemplars)
          .filter((e) => traceIds.has(e.labels.trace_id ?? ""));
        return ours.length > 0 ? ours : undefined;
      },
      30_000,
      "an exemplar with one of this traffic's trace ids (Prometheus needs --enable-feature=exemplar-storage)",
    );
    expect(res.length).toBeGreaterThan(0);
  });
});

describe("logs", () => {
  it("every log line about an event carries its trace id, span id, eventId and correlationId", async () => {
    // Lines exist at the default level for e-mailed events (notification) and the rejection
    // (event store); with LOG_LEVEL=debug every service writes one per event.
    const expectLines = accepted.filter((a) => emailed.has(a.eventType) || a.outcome === "rejected");
    await waitFor(
      async () =>
        expectLines.every((a) => services.some((s) => logLines(s, a.eventId).length > 0)) ? true : undefined,
      30_000,
      "log lines for the e-mailed and the rejected events",
    );
    let checked = 0;
    for (const a of accepted) {
      for (const service of services) {
        for (const line of logLines(service, a.eventId)) {
          if (line.eventId !== a.eventId) continue;
          checked++;
          const where = `${service}: ${line.msg as string} (${a.eventType})`;
          expect(line.trace_id, where).toBe(a.traceId);
          expect(line.span_id, where).toMatch(/^[0-9a-f]{16}$/);
          expect(line.correlationId, where).toEqual(expect.any(String));
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(expectLines.length);
    const rejection = accepted.find((a) => a.outcome === "rejected")!;
    expect(logLines("event-store", rejection.eventId).some((l) => l.msg === "event rejected")).toBe(true);
  });
});

describe("GET /lag", () => {
  it("reports each consuming group, back to zero lag and verdict OK once traffic stops", async () => {
    for (const c of consumers) {
      const report = await waitFor(
        async () => {
          const res = await request(`${c.url}/lag?fresh=true`);
          const groups = (res.body?.groups ?? []) as {
            topic: string;
            lag: number;
            lagSeconds: number;
            verdict: string;
          }[];
          const mine = groups.filter((g) => g.topic.endsWith(c.topic));
          return mine.length > 0 && mine.every((g) => g.lag === 0 && g.lagSeconds === 0 && g.verdict === "OK")
            ? res.body
            : undefined;
        },
        30_000,
        `${c.service}'s /lag at zero and OK`,
      );
      const group = report.groups[0];
      expect(group).toMatchObject({ verdict: "OK", lag: 0, lagSeconds: 0 });
      expect(group.partitions.length).toBeGreaterThan(0);
      for (const p of group.partitions) {
        expect(p).toMatchObject({ lag: 0, lagSeconds: 0, verdict: "OK" });
        expect(p.high).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
