import { fileURLToPath } from "node:url";
import {
  createDeadLetters,
  createKafka,
  createLagMonitor,
  createLogger,
  createMetrics,
  createPublisher,
  keepConnecting,
  openDatabase,
  serve,
  startTelemetry,
  topicNames,
} from "@eventscope/platform";
import { createNotificationApp } from "./app.ts";
import { createChannels } from "./channels.ts";
import { readNotificationConfig } from "./config.ts";
import { createCommittedConsumer } from "./consumer.ts";
import { countByStatus } from "./deliveries.ts";
import { createDispatcher } from "./dispatcher.ts";
import { channels as deliveryChannels } from "./plan.ts";

const service = "notification";
const telemetry = startTelemetry(service);
const config = readNotificationConfig();
const logger = createLogger({ service, level: config.logLevel, format: config.logFormat });
const metrics = createMetrics(service);
const pool = await openDatabase({
  service,
  connectionString: config.databaseUrl,
  schema: config.databaseSchema,
  poolSize: config.poolSize,
  migrations: fileURLToPath(new URL("./migrations", import.meta.url)),
  onApplied: (applied) => logger.info({ applied }, "migrations applied"),
});

const topics = topicNames(config.topicPrefix);
// Known error series start at 0 (Prometheus: "avoid missing metrics"), so the first error is a rate.
metrics.consumeErrors.inc({ topic: topics.committed, group: config.groupId, reason: "malformed" }, 0);
metrics.deadLetters.inc({ topic: topics.committed, reason: "malformed" }, 0);
for (const channel of deliveryChannels) metrics.notificationErrors.inc({ channel }, 0);
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: service, logger });
const publisher = createPublisher(kafka, { metrics, logger });
const deadLetters = createDeadLetters({ pool, publisher, metrics, topic: topics.deadLetter });
const channels = createChannels(config);
const dispatcher = createDispatcher({
  pool,
  channels,
  logger,
  metrics,
  tracer: telemetry.tracer,
  retry: { maxAttempts: config.maxAttempts, baseMs: config.retryBaseMs, maxMs: config.retryMaxMs },
  intervalMs: config.dispatchIntervalMs,
  concurrency: config.dispatchConcurrency,
  leaseMs: config.leaseMs,
});
const lag = createLagMonitor({
  kafka,
  metrics,
  logger,
  groups: [{ group: config.groupId, topic: topics.committed }],
});
const consumer = createCommittedConsumer({
  lag: lag.reporter(config.groupId),
  kafka,
  pool,
  deadLetters,
  logger,
  metrics,
  tracer: telemetry.tracer,
  topic: topics.committed,
  groupId: config.groupId,
  partitionsConcurrently: config.partitionsConcurrently,
  emailToDefault: config.emailToDefault,
  onRecorded: dispatcher.wake,
});

// Deliveries by status, for the notifications dashboard. Counted on a timer rather than per
// scrape: counting a large table on every scrape would let Prometheus drive database load.
const deliveriesByStatus = metrics.notificationDeliveries;
const refreshCounts = async () => {
  for (const [status, n] of Object.entries(await countByStatus(pool))) deliveriesByStatus.set({ status }, n);
};
const countTimer = setInterval(() => void refreshCounts().catch(() => {}), 5000);
await refreshCounts();
await deadLetters.refreshGauge();

keepConnecting(logger, "Kafka", async () => {
  await publisher.connect();
  await consumer.start();
  lag.start();
});
dispatcher.start();

const { server } = createNotificationApp({
  pool,
  logger,
  metrics,
  tracer: telemetry.tracer,
  deadLetters,
  ready: consumer.running,
  onReplayed: dispatcher.wake,
  lag,
});
await serve({
  logger,
  server,
  port: config.port,
  host: config.host,
  stop: async () => {
    clearInterval(countTimer);
    await lag.stop();
    await consumer.stop();
    await dispatcher.stop();
    channels.close();
    await publisher.disconnect();
    await pool.end();
    await telemetry.shutdown();
  },
});
