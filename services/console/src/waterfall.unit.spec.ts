import { describe, expect, it } from "vitest";
import { toWaterfall, type JaegerSpan, type JaegerTrace } from "./waterfall.ts";

const T = "0af7651916cd43dd8448eb211c80319c";
const span = (
  id: string,
  parent: string | null,
  start: number,
  duration: number,
  extra: Partial<JaegerSpan> = {},
): JaegerSpan => ({
  traceID: T,
  spanID: id,
  operationName: `op-${id}`,
  references: parent ? [{ refType: "CHILD_OF", traceID: T, spanID: parent }] : [],
  startTime: 1_700_000_000_000_000 + start,
  duration,
  tags: [],
  processID: id.startsWith("p") ? "p1" : "p2",
  ...extra,
});
const trace = (spans: JaegerSpan[]): JaegerTrace => ({
  traceID: T,
  spans,
  processes: { p1: { serviceName: "producer" }, p2: { serviceName: "event-store" } },
});

describe("a Jaeger trace as waterfall rows", () => {
  it("orders spans parent first, children by start time, with depth and offsets in ms", () => {
    // Given out of order, as Jaeger may.
    const w = toWaterfall(
      trace([
        span("s2", "p0", 9000, 2000),
        span("s1", "p0", 2000, 5000),
        span("p0", null, 0, 12_000),
        span("s3", "s1", 2500, 1000),
      ]),
    );
    expect(w.rows.map((r) => [r.spanId, r.depth])).toEqual([
      ["p0", 0],
      ["s1", 1],
      ["s3", 2],
      ["s2", 1],
    ]);
    expect(w.rows[1]).toMatchObject({ service: "event-store", parentId: "p0", startMs: 2, durationMs: 5 });
    expect(w.durationMs).toBe(12);
    expect(w.services).toEqual(["producer", "event-store"]);
    expect(w.startedAt).toBe(new Date(1_700_000_000_000).toISOString());
  });

  it("marks failed spans and says why", () => {
    const w = toWaterfall(
      trace([
        span("p0", null, 0, 100, {
          tags: [
            { key: "otel.status_code", value: "ERROR" },
            { key: "otel.status_description", value: "broker down" },
          ],
        }),
        span("s1", "p0", 10, 10, { tags: [{ key: "http.response.status_code", value: 503 }] }),
        span("s2", "p0", 20, 10, { tags: [{ key: "http.response.status_code", value: 404 }] }),
        span("s3", "p0", 30, 10, {
          tags: [{ key: "error", value: true }],
          logs: [{ timestamp: 0, fields: [{ key: "exception.message", value: "boom" }] }],
        }),
      ]),
    );
    expect(w.rows.map((r) => [r.spanId, r.error, r.errorMessage])).toEqual([
      ["p0", true, "broker down"],
      ["s1", true, null],
      ["s2", false, null],
      ["s3", true, "boom"],
    ]);
    expect(w.errorCount).toBe(3);
  });

  it("keeps spans whose parent is missing (not exported yet) at the top level", () => {
    const w = toWaterfall(trace([span("s1", "gone", 5, 1), span("p0", null, 0, 10)]));
    expect(w.rows.map((r) => [r.spanId, r.depth, r.parentId])).toEqual([
      ["p0", 0, null],
      ["s1", 0, null],
    ]);
  });

  it("survives a reference cycle and bounds the rows", () => {
    const cyclic = toWaterfall(trace([span("s1", "s2", 0, 1), span("s2", "s1", 1, 1)]));
    expect(cyclic.rows.map((r) => r.spanId).sort()).toEqual(["s1", "s2"]);
    const many = Array.from({ length: 50 }, (_, i) => span(`s${i}`, null, i, 1));
    const bounded = toWaterfall(trace(many), 10);
    expect(bounded.rows).toHaveLength(10);
    expect(bounded).toMatchObject({ spanCount: 50, truncated: true });
  });

  it("shows the event and messaging attributes, nothing else", () => {
    const w = toWaterfall(
      trace([
        span("p0", null, 0, 1, {
          tags: [
            { key: "eventscope.event.id", value: "e-1" },
            { key: "messaging.kafka.offset", value: 42 },
            { key: "span.kind", value: "consumer" },
            { key: "host.name", value: "vm" },
          ],
        }),
      ]),
    );
    expect(w.rows[0]!.attributes).toEqual({ "eventscope.event.id": "e-1", "messaging.kafka.offset": "42" });
    expect(w.rows[0]!.kind).toBe("consumer");
  });

  it("gives an empty waterfall for a trace without spans", () => {
    expect(toWaterfall(trace([]))).toMatchObject({ rows: [], durationMs: 0, startedAt: null, services: [] });
  });
});
