import { describe, expect, it } from "vitest";
import { propagation } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ConfigError } from "./config.ts";
import {
  createInstrumentations,
  ignoredIncomingPath,
  instrumentationNames,
  otlpExportPath,
  patchedModules,
  selectedInstrumentations,
} from "./instrumentations.ts";
import { startConsumerSpan, startTelemetry } from "./telemetry.ts";

describe("instrumentation selection", () => {
  it("runs every instrumentation but express unless the OTEL_NODE_* variables say otherwise", () => {
    expect(selectedInstrumentations({})).toEqual(["http", "pg", "undici", "pino"]);
    expect(
      selectedInstrumentations({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: instrumentationNames.join(",") }),
    ).toEqual([...instrumentationNames]);
    expect(selectedInstrumentations({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: "http, pg" })).toEqual([
      "http",
      "pg",
    ]);
    expect(selectedInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: "express,undici" })).toEqual([
      "http",
      "pg",
      "pino",
    ]);
    expect(
      selectedInstrumentations({
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: "http,pg",
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: "pg",
      }),
    ).toEqual(["http"]);
  });

  it("refuses a name it does not know, naming the variable", () => {
    expect(() => selectedInstrumentations({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: "http,kafka" })).toThrow(
      ConfigError,
    );
    expect(() => selectedInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: "fs" })).toThrow(
      /^OTEL_NODE_DISABLED_INSTRUMENTATIONS: unknown instrumentation "fs"/,
    );
  });

  it("hooks exactly the modules the selected instrumentations patch", () => {
    const modules = patchedModules(createInstrumentations(["http", "pg"]));
    expect(modules).toEqual(expect.arrayContaining(["http", "https", "pg"]));
    expect(modules).not.toContain("express");
    expect(patchedModules(createInstrumentations(["express", "pino"]))).toEqual(
      expect.arrayContaining(["express", "pino"]),
    );
  });
});

describe("what gets no span", () => {
  it("the scrape and the health probes, not the API", () => {
    for (const url of ["/metrics", "/metrics?name[]=x", "/health/live", "/health/ready"])
      expect(ignoredIncomingPath(url), url).toBe(true);
    for (const url of ["/api/events", "/metricsx", "/healthy", "/api/health/live", undefined])
      expect(ignoredIncomingPath(url), String(url)).toBe(false);
  });

  it("the OTLP exporter's own requests", () => {
    for (const path of ["/v1/traces", "/v1/metrics", "/v1/logs", "/v1/traces?x=1"])
      expect(otlpExportPath(path)).toBe(true);
    for (const path of ["/api/v1/traces", "/v1/tracesx", "/hooks", null, undefined])
      expect(otlpExportPath(path)).toBe(false);
  });
});

describe("OTEL_KAFKA_SPAN_LINKS", () => {
  const exporter = new InMemorySpanExporter();
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer(
    "t",
  );
  const producer = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const consume = () =>
    startConsumerSpan(tracer, {
      topic: "events.committed",
      partition: 0,
      group: "g",
      offset: "7",
      headers: { traceparent: producer },
      event: { eventId: "e", eventType: "T", aggregateId: "a" },
    });

  it("continues the producer's trace by default, and starts a linked one when true", () => {
    startTelemetry("t", { OTEL_SDK_DISABLED: "true" });
    const child = consume();
    expect(child.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    child.end();

    startTelemetry("t", { OTEL_SDK_DISABLED: "true", OTEL_KAFKA_SPAN_LINKS: "true" });
    const linked = consume();
    linked.end();
    expect(linked.spanContext().traceId).not.toBe("0af7651916cd43dd8448eb211c80319c");
    const [, ended] = exporter.getFinishedSpans();
    expect(ended?.links.map((l) => l.context.spanId)).toEqual(["b7ad6b7169203331"]);
    startTelemetry("t", { OTEL_SDK_DISABLED: "true" });
  });

  it("refuses a value that is not a boolean at start", () => {
    expect(() => startTelemetry("t", { OTEL_SDK_DISABLED: "true", OTEL_KAFKA_SPAN_LINKS: "links" })).toThrow(
      /^OTEL_KAFKA_SPAN_LINKS: expected a boolean/,
    );
  });
});
