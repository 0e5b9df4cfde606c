import { fileURLToPath } from "node:url";
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
import { createProcessManagerApp } from "./app.ts";
import { readProcessManagerConfig } from "./config.ts";
import { createCommittedConsumer } from "./consumer.ts";
import { createDispatcher } from "./dispatcher.ts";
import { activeByType } from "./queries.ts";
import { createRejectionConsumer } from "./rejections.ts";
import { sagas, type Settings } from "./sagas/index.ts";
import { createTimers } from "./timers.ts";

const service = "process-manager";
const telemetry = startTelemetry(service);
const config = readProcessManagerConfig();
const logger = createLogger({ service, level: config.logLevel, format: config.logFormat });
const metrics = createMetrics(service);
const pool = await openDatabase({
  service,
  connectionString: config.databaseUrl,
  schema: config.databaseSchema,
  poolSize: config.poolSize,
  migrations: fileURLToPath(new URL("./migrations", import.meta.url)),
  platform: ["dead_letters", "consumed_streams"],
  onApplied: (applied) => logger.info({ applied }, "migrations applied"),
});

const settings: Settings = {
  paymentTimeoutMs: config.paymentTimeoutMs,
  cartIdleMs: config.cartIdleMs,
  activationReminderMs: config.activationReminderMs,
  lowStockThreshold: config.lowStockThreshold,
};
const topics = topicNames(config.topicPrefix);
const rejectedGroup = `${config.groupId}-rejected`;
// Known series start at 0, so the first of each is a rate.
metrics.consumeErrors.inc({ topic: topics.committed, group: config.groupId, reason: "malformed" }, 0);
metrics.deadLetters.inc({ topic: topics.committed, reason: "malformed" }, 0);
for (const { type } of sagas) {
  metrics.processesStarted.inc({ type }, 0);
  metrics.processesActive.set({ type }, 0);
}

const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: service, logger });
const publisher = createPublisher(kafka, { metrics, logger });
const deadLetters = createDeadLetters({ pool, publisher, metrics, topic: topics.deadLetter });
const lag = createLagMonitor({
  kafka,
  metrics,
  logger,
  groups: [
    { group: config.groupId, topic: topics.committed },
    { group: rejectedGroup, topic: topics.rejected },
  ],
});
const dispatcher = createDispatcher({
  pool,
  logger,
  metrics,
  tracer: telemetry.tracer,
  producerUrl: config.producerUrl,
  apiKey: config.apiKey,
  intervalMs: config.dispatchIntervalMs,
  sendTimeoutMs: config.sendTimeoutMs,
  retryBaseMs: config.retryBaseMs,
  retryMaxMs: config.retryMaxMs,
});
const onWritten = () => dispatcher.wake();
const consumer = createCommittedConsumer({
  kafka,
  pool,
  deadLetters,
  logger,
  metrics,
  tracer: telemetry.tracer,
  groupId: config.groupId,
  topic: topics.committed,
  partitionsConcurrently: config.partitionsConcurrently,
  settings,
  onWritten,
  lag: lag.reporter(config.groupId),
});
const rejections = createRejectionConsumer({
  kafka,
  pool,
  logger,
  metrics,
  groupId: rejectedGroup,
  topic: topics.rejected,
  settings,
  onWritten,
});
const timers = createTimers({
  pool,
  logger,
  metrics,
  settings,
  intervalMs: config.timerIntervalMs,
  onWritten,
});

keepConnecting(logger, "Kafka", async () => {
  await publisher.connect();
  await consumer.start();
  await rejections.start();
  lag.start();
});
await deadLetters.refreshGauge();
dispatcher.start();
timers.start();

// Counted on a timer rather than per scrape, so that Prometheus never drives database load.
const refreshActive = async () => {
  const active = await activeByType(pool);
  for (const { type } of sagas) metrics.processesActive.set({ type }, active.get(type) ?? 0);
};
const activeTimer = setInterval(() => void refreshActive().catch(() => {}), 5000);
await refreshActive();

const { server } = createProcessManagerApp({
  pool,
  logger,
  metrics,
  tracer: telemetry.tracer,
  deadLetters,
  lag,
  ready: () => consumer.running() && rejections.running(),
  http: httpPolicy(config),
});
await serve({
  logger,
  server,
  port: config.port,
  host: config.host,
  stop: async () => {
    clearInterval(activeTimer);
    await timers.stop();
    await dispatcher.stop();
    await lag.stop();
    await consumer.stop();
    await rejections.stop();
    await publisher.disconnect();
    await pool.end();
    await telemetry.shutdown();
  },
});
