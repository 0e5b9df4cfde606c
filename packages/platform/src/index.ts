export * from "./errors.ts";
export * from "./config.ts";
export { createLogger, type Logger, type LoggerOptions } from "./logger.ts";
export * from "./telemetry.ts";
export * from "./semconv.ts";
export { createMetrics, type Metrics, type MetricsRegistry } from "./metrics.ts";
export * from "./http.ts";
export * from "./kafka.ts";
export * from "./postgres.ts";
export * from "./service.ts";
export * from "./dead-letters.ts";
export { readCommittedBatch, type CommittedBatch } from "./committed-batch.ts";
export * from "./topics.ts";
export * from "./lag-verdict.ts";
export * from "./lag-probe.ts";
export * from "./lag-monitor.ts";
export * from "./event-log.ts";
export * from "./batch-consumer.ts";
export * from "./api-keys.ts";
export * from "./strict-input.ts";
export * from "./params.ts";
export * from "./server-limits.ts";
export * from "./retriable.ts";
export * from "./stream-sequence.ts";
export * from "./consumed-streams.ts";
export * from "./secret-box.ts";
export {
  instrumentationNames,
  selectedInstrumentations,
  type InstrumentationName,
} from "./instrumentations.ts";
export { isWrite, tooManyRequests, type RateLimitPolicy } from "./rate-limit.ts";
export { openApiPath, serviceDocument, swaggerUi } from "./swagger.ts";
export * from "./service-wiring.ts";
