import { fileURLToPath } from "node:url";
import { domains } from "@eventscope/contracts";
import {
  createDeadLetters,
  createKafka,
  createLagMonitor,
  createLogger,
  createMetrics,
  createPublisher,
  httpPolicy,
  keepConnecting,
  openDatabase,
  serve,
  startTelemetry,
  topicNames,
} from "@eventscope/platform";
import { readEventStoreConfig } from "./config.ts";
import { createEventStoreApp } from "./app.ts";
import { createIngestConsumer } from "./consumer.ts";

const service = "event-store";
const telemetry = startTelemetry(service);
const config = readEventStoreConfig();
const logger = createLogger({ service, level: config.logLevel, format: config.logFormat });
const metrics = createMetrics(service);
const pool = await openDatabase({
  service,
  connectionString: config.databaseUrl,
  schema: config.databaseSchema,
  poolSize: config.poolSize,
  migrations: fileURLToPath(new URL("./migrations", import.meta.url)),
  platform: ["dead_letters"],
  onApplied: (applied) => logger.info({ applied }, "migrations applied"),
});

const topics = topicNames(config.topicPrefix);
// Known error series start at 0 (Prometheus: "avoid missing metrics"), so the first error is a rate.
for (const topic of [topics.committed, topics.rejected, topics.deadLetter])
  metrics.publishErrors.inc({ topic, reason: "timeout" }, 0);
metrics.consumeErrors.inc({ topic: topics.ingest, group: config.groupId, reason: "malformed" }, 0);
metrics.deadLetters.inc({ topic: topics.ingest, reason: "malformed" }, 0);
for (const d of domains) metrics.snapshotsTaken.inc({ aggregate_type: d.aggregateType }, 0);
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: service, logger });
const publisher = createPublisher(kafka, { metrics, logger, timeoutMs: config.publishTimeoutMs });
const deadLetters = createDeadLetters({ pool, publisher, metrics, topic: topics.deadLetter });
const lag = createLagMonitor({
  kafka,
  metrics,
  logger,
  groups: [{ group: config.groupId, topic: topics.ingest }],
});
const consumer = createIngestConsumer({
  lag: lag.reporter(config.groupId),
  kafka,
  pool,
  publisher,
  deadLetters,
  logger,
  metrics,
  tracer: telemetry.tracer,
  topics,
  ...config,
});

const refreshSize = async () => {
  const { rows } = await pool.query<{ events: string; streams: string }>(
    "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM streams) AS streams",
  );
  metrics.eventStoreSize.set(Number(rows[0]?.events ?? 0));
  metrics.eventStoreStreams.set(Number(rows[0]?.streams ?? 0));
};
const sizeTimer = setInterval(() => void refreshSize().catch(() => {}), 10_000);
await refreshSize();
await deadLetters.refreshGauge();

keepConnecting(logger, "Kafka", async () => {
  await publisher.connect();
  await consumer.start();
  lag.start();
});

const { server } = createEventStoreApp({
  pool,
  logger,
  metrics,
  tracer: telemetry.tracer,
  deadLetters,
  ready: consumer.running,
  lag,
  http: httpPolicy(config),
});
await serve({
  logger,
  server,
  port: config.port,
  host: config.host,
  stop: async () => {
    clearInterval(sizeTimer);
    await lag.stop();
    await consumer.stop();
    await publisher.disconnect();
    await pool.end();
    await telemetry.shutdown();
  },
});
