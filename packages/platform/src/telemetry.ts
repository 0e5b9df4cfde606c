import {
  ROOT_CONTEXT,
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { OTLPTraceExporter as OTLPJsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type * as ProtobufExporterTypes from "@opentelemetry/exporter-trace-otlp-proto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_AGGREGATE_ID,
  ATTR_EVENT_ID,
  ATTR_EVENT_TYPE,
  ATTR_STREAM_VERSION,
} from "./semconv.ts";
import { commonSettings, ConfigError, readConfig, type Env } from "./config.ts";
import { registeredInstrumentations } from "./instrumentations.ts";

export { SpanKind, SpanStatusCode, context, trace };
export type { Span, Context, Link };

export interface Telemetry {
  tracer: Tracer;
  enabled: boolean;
  shutdown(): Promise<void>;
}

/** The batch span processor's settings: OpenTelemetry's OTEL_BSP_* variables, else ours. */
export interface BatchSettings {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

/**
 * One export per second of up to 2,048 spans: at 1,000 events per second a service sends one
 * or two requests a second to the collector, and a trace is in Jaeger about a second after its
 * last span ended. Each export costs a request and the resource's attributes whatever it holds,
 * so fewer, larger exports are cheaper per span.
 */
export const defaultBatchSettings: BatchSettings = {
  maxQueueSize: 16_384,
  maxExportBatchSize: 2048,
  scheduledDelayMillis: 1000,
  exportTimeoutMillis: 30_000,
};

export function batchSettings(env: Env = process.env): BatchSettings {
  const read = (variable: string, fallback: number) => {
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      throw new ConfigError(`${variable}: expected a positive integer, got "${raw}"`);
    return value;
  };
  const settings = {
    maxQueueSize: read("OTEL_BSP_MAX_QUEUE_SIZE", defaultBatchSettings.maxQueueSize),
    maxExportBatchSize: read("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", defaultBatchSettings.maxExportBatchSize),
    scheduledDelayMillis: read("OTEL_BSP_SCHEDULE_DELAY", defaultBatchSettings.scheduledDelayMillis),
    exportTimeoutMillis: read("OTEL_BSP_EXPORT_TIMEOUT", defaultBatchSettings.exportTimeoutMillis),
  };
  if (settings.maxExportBatchSize > settings.maxQueueSize)
    throw new ConfigError(
      `OTEL_BSP_MAX_EXPORT_BATCH_SIZE (${settings.maxExportBatchSize}) exceeds OTEL_BSP_MAX_QUEUE_SIZE (${settings.maxQueueSize})`,
    );
  return settings;
}

export const traceProtocols = ["http/json", "http/protobuf"] as const;
export type TraceProtocol = (typeof traceProtocols)[number];

/**
 * How spans are sent: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else
 * OTLP/HTTP with JSON. JSON costs the service less CPU per span than protobuf (JSON.stringify is
 * native, the protobuf writer is not: 62 against 70 µs per span for the whole export path in
 * `BENCH=span-export`) and Jaeger more to decode (32 against 21 µs): on one box the two are even,
 * and where the collector runs elsewhere JSON is the cheaper for the services. The body is about
 * twice as large, which on the loopback costs nothing worth counting. Both go to port 4318.
 */
export function traceProtocol(env: Env = process.env): TraceProtocol {
  const variable = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim()
    ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
    : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const raw = env[variable]?.trim();
  if (!raw) return "http/json";
  if ((traceProtocols as readonly string[]).includes(raw)) return raw as TraceProtocol;
  throw new ConfigError(`${variable}: "${raw}" is not supported (${traceProtocols.join(", ")})`);
}

/**
 * The protobuf exporter is loaded only when it is chosen (4 MiB a process otherwise): its ES
 * module, synchronously (require of an ES module), so it shares the SDK's module instances.
 */
const protobufExporter = (): typeof ProtobufExporterTypes =>
  createRequire(import.meta.url)(
    fileURLToPath(import.meta.resolve("@opentelemetry/exporter-trace-otlp-proto")),
  ) as typeof ProtobufExporterTypes;

const traceExporter = (protocol: TraceProtocol) =>
  protocol === "http/json" ? new OTLPJsonTraceExporter() : new (protobufExporter().OTLPTraceExporter)();

/**
 * The SDK's pipelines besides the traces. Prometheus scrapes the services' metrics (prom-client)
 * and the logs go to stdout (pino), so the SDK runs no metrics or logs pipeline of its own unless
 * OTEL_METRICS_EXPORTER or OTEL_LOGS_EXPORTER names one: left to its defaults it would start an
 * OTLP metrics pipeline that the instrumentations record into on every request, traced query and
 * pool event, exported to a collector that takes no metrics.
 */
export const sdkPipelines = (env: Env = process.env): { metricReaders?: []; logRecordProcessors?: [] } => ({
  ...(env.OTEL_METRICS_EXPORTER?.trim() ? {} : { metricReaders: [] }),
  ...(env.OTEL_LOGS_EXPORTER?.trim() ? {} : { logRecordProcessors: [] }),
});

/**
 * Starts the OpenTelemetry Node SDK exporting OTLP/HTTP (JSON) to Jaeger. The SDK's own OTEL_*
 * variables are honoured as they are (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME,
 * OTEL_TRACES_SAMPLER, OTEL_SDK_DISABLED, OTEL_BSP_*, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, ...).
 * HTTP, express, PostgreSQL, undici and pino are traced by their instrumentations, which
 * `instrument.ts` enables before the service's modules load (node --import); the steps of
 * Eventscope itself (decide, append, apply, dispatch, the Kafka hops) are spans made by hand, so
 * an event's trace is one tree across Kafka.
 */
export function startTelemetry(serviceName: string, env: Env = process.env): Telemetry {
  linkMode = readConfig({ kafkaSpanLinks: commonSettings.kafkaSpanLinks }, env).kafkaSpanLinks;
  if (/^true$/i.test(env.OTEL_SDK_DISABLED ?? "")) {
    return { tracer: trace.getTracer(serviceName), enabled: false, shutdown: async () => {} };
  }
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? serviceName,
      [ATTR_SERVICE_VERSION]: "0.1.0",
    }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter: traceExporter(traceProtocol(env)), ...batchSettings(env) }),
    ],
    ...sdkPipelines(env),
    instrumentations: registeredInstrumentations(),
  });
  sdk.start();
  return { tracer: trace.getTracer(serviceName, "0.1.0"), enabled: true, shutdown: () => sdk.shutdown() };
}

type Carrier = Record<string, string | Buffer | (string | Buffer)[] | undefined>;

const getter = {
  keys: (carrier: Carrier) => Object.keys(carrier),
  get: (carrier: Carrier, key: string) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/** Context carried by W3C `traceparent`/`tracestate` headers (Kafka or HTTP). */
export const extractContext = (carrier: Carrier, parent: Context = context.active()): Context =>
  propagation.extract(parent, carrier, getter);

/** W3C trace headers for the given context (the active one by default). */
export function traceHeaders(ctx: Context = context.active()): { traceparent?: string; tracestate?: string } {
  const out: Record<string, string> = {};
  propagation.inject(ctx, out);
  return out;
}

export const traceIdOf = (span: Span | undefined): string | undefined => {
  const id = span?.spanContext().traceId;
  return id && id !== "00000000000000000000000000000000" ? id : undefined;
};

/** Records an error on a span without ever throwing into the caller. */
export function failSpan(span: Span, error: unknown): void {
  try {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
  } catch {
    // telemetry must never break the host program
  }
}

export interface ConsumerSpanOptions {
  topic: string;
  partition: number;
  group: string;
  offset: string;
  headers: Carrier | undefined;
  /** The event the message carries: its id, type, aggregate (and stream version) go on the span. */
  event: { eventId: string; eventType: string; aggregateId: string; version?: number | undefined };
}

/**
 * The span of one consumed event, continuing the producer's trace from the W3C headers: as its
 * child (one continuous trace, the default) or, with OTEL_KAFKA_SPAN_LINKS=true, as the root of a
 * new trace linked to it (for consumers that would rather keep traces short).
 */
export function startConsumerSpan(tracer: Tracer, options: ConsumerSpanOptions): Span {
  const parent = extractContext(options.headers ?? {}, ROOT_CONTEXT);
  const attributes = {
    [ATTR_MESSAGING_SYSTEM]: "kafka",
    [ATTR_MESSAGING_OPERATION_TYPE]: "process",
    [ATTR_MESSAGING_DESTINATION_NAME]: options.topic,
    [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(options.partition),
    [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: options.group,
    [ATTR_MESSAGING_KAFKA_OFFSET]: Number(options.offset),
    [ATTR_EVENT_ID]: options.event.eventId,
    [ATTR_EVENT_TYPE]: options.event.eventType,
    [ATTR_AGGREGATE_ID]: options.event.aggregateId,
    ...(options.event.version === undefined ? {} : { [ATTR_STREAM_VERSION]: options.event.version }),
  };
  const name = `${options.topic} process`;
  if (!linkMode) return tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent);
  const linked = trace.getSpanContext(parent);
  return tracer.startSpan(
    name,
    { kind: SpanKind.CONSUMER, attributes, root: true, links: linked ? [{ context: linked }] : [] },
    ROOT_CONTEXT,
  );
}

// OTEL_KAFKA_SPAN_LINKS (commonSettings.kafkaSpanLinks), read once by startTelemetry.
let linkMode = false;
