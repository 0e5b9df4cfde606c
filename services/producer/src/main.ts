import {
  createKafka,
  createLogger,
  createMetrics,
  createPublisher,
  keepConnecting,
  serve,
  startTelemetry,
  topicNames,
} from "@eventscope/platform";
import { readProducerConfig } from "./config.ts";
import { createProducerApp } from "./app.ts";

const service = "producer";
const telemetry = startTelemetry(service);
const config = readProducerConfig();
const logger = createLogger({ service, level: config.logLevel, format: config.logFormat });
const metrics = createMetrics(service);
// Known error series start at 0 (Prometheus: "avoid missing metrics"), so the first error is a rate.
metrics.publishErrors.inc({ topic: topicNames(config.topicPrefix).ingest, reason: "timeout" }, 0);
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: service, logger });
const publisher = createPublisher(kafka, { metrics, logger, timeoutMs: config.publishTimeoutMs });

keepConnecting(logger, "Kafka", () => publisher.connect());

const { server } = createProducerApp({ config, publisher, logger, metrics, tracer: telemetry.tracer });
await serve({
  logger,
  server,
  port: config.port,
  host: config.host,
  stop: async () => {
    await publisher.disconnect();
    await telemetry.shutdown();
  },
});
