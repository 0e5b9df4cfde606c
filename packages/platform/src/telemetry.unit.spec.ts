import { describe, expect, it } from "vitest";
import { ConfigError } from "./config.ts";
import { batchSettings, defaultBatchSettings, sdkPipelines, traceProtocol } from "./telemetry.ts";

describe("batchSettings", () => {
  it("exports once a second in batches of up to 2,048 spans unless OTEL_BSP_* say otherwise", () => {
    expect(batchSettings({})).toEqual(defaultBatchSettings);
    expect(defaultBatchSettings).toMatchObject({ scheduledDelayMillis: 1000, maxExportBatchSize: 2048 });
    expect(
      batchSettings({
        OTEL_BSP_SCHEDULE_DELAY: "250",
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "512",
        OTEL_BSP_MAX_QUEUE_SIZE: "4096",
        OTEL_BSP_EXPORT_TIMEOUT: " 5000 ",
      }),
    ).toEqual({
      scheduledDelayMillis: 250,
      maxExportBatchSize: 512,
      maxQueueSize: 4096,
      exportTimeoutMillis: 5000,
    });
    expect(batchSettings({ OTEL_BSP_SCHEDULE_DELAY: "" }).scheduledDelayMillis).toBe(1000);
  });

  it("refuses a value that is no positive integer, naming the variable", () => {
    for (const raw of ["0", "-5", "1.5", "soon"])
      expect(() => batchSettings({ OTEL_BSP_SCHEDULE_DELAY: raw })).toThrow(
        new ConfigError(`OTEL_BSP_SCHEDULE_DELAY: expected a positive integer, got "${raw}"`),
      );
  });

  it("refuses a batch larger than the queue", () => {
    expect(() =>
      batchSettings({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "4096", OTEL_BSP_MAX_QUEUE_SIZE: "1024" }),
    ).toThrow(/OTEL_BSP_MAX_EXPORT_BATCH_SIZE \(4096\) exceeds OTEL_BSP_MAX_QUEUE_SIZE \(1024\)/);
  });
});

describe("sdkPipelines", () => {
  it("runs no SDK metrics or logs pipeline unless an exporter is named", () => {
    expect(sdkPipelines({})).toEqual({ metricReaders: [], logRecordProcessors: [] });
    expect(sdkPipelines({ OTEL_METRICS_EXPORTER: " " })).toEqual({
      metricReaders: [],
      logRecordProcessors: [],
    });
  });

  it("leaves a named exporter to the SDK's own reading of its variables", () => {
    expect(sdkPipelines({ OTEL_METRICS_EXPORTER: "otlp" })).toEqual({ logRecordProcessors: [] });
    expect(sdkPipelines({ OTEL_LOGS_EXPORTER: "console" })).toEqual({ metricReaders: [] });
    expect(sdkPipelines({ OTEL_METRICS_EXPORTER: "prometheus", OTEL_LOGS_EXPORTER: "otlp" })).toEqual({});
  });
});

describe("traceProtocol", () => {
  it("sends OTLP/HTTP JSON unless the traces' or the general protocol variable names protobuf", () => {
    expect(traceProtocol({})).toBe("http/json");
    expect(traceProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" })).toBe("http/protobuf");
    expect(
      traceProtocol({
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
      }),
    ).toBe("http/json");
    expect(traceProtocol({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: " http/protobuf " })).toBe("http/protobuf");
  });

  it("refuses a protocol it has no exporter for, naming the variable", () => {
    expect(() => traceProtocol({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" })).toThrow(
      new ConfigError(
        'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" is not supported (http/json, http/protobuf)',
      ),
    );
    expect(() => traceProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: "thrift" })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL/,
    );
  });
});
