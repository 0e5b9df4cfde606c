// The telemetry contract on the running stack (`make up`), in the manner of the OpenTelemetry
// demo's trace-based tests: after an order lifecycle posted through the producer,
//  - Jaeger holds one trace per event (the trace id of the 202's traceparent), continuous across
//    Kafka, with spans from the four services;
//  - Prometheus holds every metric of the shared catalogue (createMetrics) with data;
//  - the instrumentations' spans sit in it: the producer's HTTP server span with its route, the
//    event store's append with its PostgreSQL child, the webhook call as an HTTP client span;
//  - every log line about an event carries that event's trace id (and span id, eventId, correlationId);
//  - each consuming service's GET /lag reports its group, back to zero lag and OK once traffic stops.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
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
  type JaegerSpan,
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
    // A user's login or logout is no saga's business: the process manager records its version and
    // adds no span to its trace. (Its spans are exported every second: by now they would be in.)
    await new Promise((r) => setTimeout(r, 1500));
    const activity = stored.filter((a) => a.eventType === "login" || a.eventType === "logout");
    expect(activity).toHaveLength(2);
    for (const a of activity)
      expect(servicesOf((await jaegerTrace(a.traceId))!).has("process-manager"), a.eventType).toBe(false);
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

// The first configured key, without its scopes (the demo key holds every scope).
const apiKey = (process.env.API_KEYS ?? "eventscope-demo-key").split(",")[0]!.split(":")[0]!;
const tagOf = (s: JaegerSpan, key: string) => s.tags.find((g) => g.key === key)?.value;
const serviceOf = (t: JaegerTrace, s: JaegerSpan) => t.processes[s.processID]?.serviceName;
const childrenOf = (t: JaegerTrace, parent: JaegerSpan) =>
  t.spans.filter((s) => s.references.some((r) => r.refType === "CHILD_OF" && r.spanID === parent.spanID));
const scope = {
  http: "@opentelemetry/instrumentation-http",
  pg: "@opentelemetry/instrumentation-pg",
};

/** The event's trace once a span matching `wanted` reached Jaeger. */
const traceWith = (traceId: string, wanted: (t: JaegerTrace, s: JaegerSpan) => boolean, what: string) =>
  waitFor(
    async () => {
      const t = await jaegerTrace(traceId);
      return t?.spans.some((s) => wanted(t, s)) ? t : undefined;
    },
    30_000,
    what,
  );

describe("instrumentation spans", () => {
  it("the producer's HTTP server span (the http instrumentation's) carries the route of the request", async () => {
    const httpServer = (t: JaegerTrace, s: JaegerSpan) =>
      serviceOf(t, s) === "producer" &&
      tagOf(s, "span.kind") === "server" &&
      tagOf(s, "otel.scope.name") === scope.http &&
      tagOf(s, "http.route") !== undefined;
    const customer = accepted[0]!; // POST /customer
    const t = await traceWith(
      customer.traceId,
      httpServer,
      "the producer's HTTP server span of POST /customer",
    );
    const span = t.spans.find((s) => httpServer(t, s))!;
    expect(tagOf(span, "http.route")).toBe("/customer");
    expect(tagOf(span, "http.request.method")).toBe("POST");
    expect(tagOf(span, "http.response.status_code")).toBe(202);
    // A route with a parameter is named by its pattern, not by the path the client sent.
    const validate = accepted[5]!; // POST /api/orders/{id}/validate
    const v = await traceWith(validate.traceId, httpServer, "the producer's HTTP server span of a validate");
    expect(
      String(
        tagOf(
          v.spans.find((s) => httpServer(v, s))!,
          "http.route",
        ),
      ),
    ).toMatch(/^\/api\/orders\/(:\w+|\{\w+\})\/validate$/);
  });

  it("the event store's append (a span of a batch, linked to each event's span) has a PostgreSQL child", async () => {
    const created = accepted.find((a) => a.eventType === "OrderCreated")!;
    const t = await traceWith(
      created.traceId,
      (t, s) => serviceOf(t, s) === "event-store" && s.operationName.endsWith("events.ingest process"),
      "the event store's span of OrderCreated",
    );
    const consumed = t.spans.find(
      (s) => serviceOf(t, s) === "event-store" && s.operationName.endsWith("events.ingest process"),
    )!;
    // The append of the batch that held the event: its own trace, with a link to the event's span.
    const appendTrace = await waitFor(
      async () => {
        const res = await fetch(
          `${urls.jaeger}/api/traces?${new URLSearchParams({
            service: "event-store",
            operation: "append",
            start: String((started - 5000) * 1000),
            end: String(Date.now() * 1000),
            limit: "1000",
          })}`,
        );
        const body = (await res.json()) as { data: JaegerTrace[] | null };
        return (body.data ?? []).find((a) =>
          a.spans.some(
            (s) =>
              s.operationName === "append" &&
              s.references.some((r) => r.refType === "FOLLOWS_FROM" && r.spanID === consumed.spanID),
          ),
        );
      },
      30_000,
      "the append linked to OrderCreated's span",
    );
    const append = appendTrace.spans.find((s) => s.operationName === "append")!;
    const insert = childrenOf(appendTrace, append).find((s) => tagOf(s, "db.system.name") === "postgresql");
    expect(insert, "a db.system.name=postgresql span under the append").toBeDefined();
    expect(tagOf(insert!, "span.kind")).toBe("client");
    expect(tagOf(insert!, "otel.scope.name")).toBe(scope.pg);
    expect(String(tagOf(insert!, "db.query.text"))).toContain("INSERT INTO events");
  });

  it("a webhook call is an HTTP client span under the notification's webhook span, in the event's trace", async () => {
    const received: IncomingMessage[] = [];
    const receiver = createServer((req, res) => {
      received.push(req);
      req.resume();
      req.on("end", () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const eventType = `telemetry_hook_${randomBytes(4).toString("hex")}`;
    const headers = { "x-api-key": apiKey };
    const subscription = await request(`${urls.notification}/api/subscriptions`, {
      body: { url: hookUrl, eventTypes: [eventType] },
      headers,
    });
    expect(subscription.status).toBe(201);
    try {
      const res = await request(`${urls.producer}/api/events`, {
        body: { userId: `user-${eventType}`, eventType },
        headers,
      });
      expect(res.status).toBe(202);
      const traceId = String(res.headers.get("traceparent")).split("-")[1]!;
      await waitFor(async () => received.length > 0 || undefined, 30_000, "the webhook call");
      const call = (t: JaegerTrace, s: JaegerSpan) =>
        serviceOf(t, s) === "notification" &&
        tagOf(s, "span.kind") === "client" &&
        tagOf(s, "otel.scope.name") === scope.http &&
        tagOf(s, "url.full") === hookUrl;
      const webhookSpan = (t: JaegerTrace) => t.spans.find((s) => s.operationName === "webhook POST");
      const t = await traceWith(
        traceId,
        (t, s) => call(t, s) && webhookSpan(t) !== undefined,
        "the webhook's HTTP client span",
      );
      const span = t.spans.find((s) => call(t, s))!;
      expect(tagOf(span, "http.request.method")).toBe("POST");
      expect(tagOf(span, "http.response.status_code")).toBe(200);
      expect(childrenOf(t, webhookSpan(t)!)).toContainEqual(span);
      // The receiver got the call's own context: the trace of the event, the span of the call.
      expect(received[0]!.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-${span.spanID}-`));
    } finally {
      await request(`${urls.notification}/api/subscriptions/${subscription.body.id as string}`, {
        method: "DELETE",
        headers,
      });
      await new Promise<void>((r) => receiver.close(() => r()));
    }
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
