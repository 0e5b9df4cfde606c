import { fileURLToPath } from "node:url";
import {
  createDeadLetters,
  createKafka,
  createLagMonitor,
  createLogger,
  createMetrics,
  createPublisher,
  httpPolicy,
  outgoingKey,
  keepConnecting,
  openDatabase,
  serve,
  startTelemetry,
  topicNames,
} from "@eventscope/platform";
import { readProjectionConfig } from "./config.ts";
import { createProjectionApp } from "./app.ts";
import { createProjectionConsumer } from "./consumer.ts";
import { documentModels, projectionNames } from "./read-models.ts";
import { rebuildProjection } from "./rebuild.ts";
import { projectionStatus } from "./status.ts";

const service = "projection";
const telemetry = startTelemetry(service);
const config = readProjectionConfig();
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
await pool.query(
  "INSERT INTO projection_checkpoints (projection) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
  [projectionNames()],
);

const topics = topicNames(config.topicPrefix);
// Known error series start at 0 (Prometheus: "avoid missing metrics"), so the first error is a rate.
metrics.consumeErrors.inc({ topic: topics.committed, group: config.groupId, reason: "malformed" }, 0);
metrics.deadLetters.inc({ topic: topics.committed, reason: "malformed" }, 0);
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: service, logger });
const admin = kafka.admin();
const publisher = createPublisher(kafka, { metrics, logger });
const deadLetters = createDeadLetters({ pool, publisher, metrics, topic: topics.deadLetter });
const lag = createLagMonitor({
  kafka,
  metrics,
  logger,
  groups: [{ group: config.groupId, topic: topics.committed }],
});
const consumer = createProjectionConsumer({
  lag: lag.reporter(config.groupId),
  kafka,
  pool,
  deadLetters,
  logger,
  metrics,
  tracer: telemetry.tracer,
  groupId: config.groupId,
  topic: topics.committed,
  partitionsConcurrently: config.partitionsConcurrently,
});

const rebuilding = new Set<string>();
const rebuild = (name: string): boolean => {
  if (rebuilding.has(name)) return false;
  rebuilding.add(name);
  rebuildProjection(
    {
      pool,
      logger,
      eventStoreUrl: config.eventStoreUrl,
      apiKey: outgoingKey(config.eventStoreApiKey, config.apiKeys, "read"),
    },
    name,
  )
    .catch(async (error: unknown) => {
      logger.error({ err: error, projection: name }, "rebuild failed");
      await pool.query(
        "UPDATE projection_checkpoints SET status = 'live', last_error = $2 WHERE projection = $1",
        [name, `rebuild failed: ${(error as Error).message}`],
      );
    })
    .finally(() => rebuilding.delete(name));
  return true;
};

keepConnecting(logger, "Kafka", async () => {
  await Promise.all([publisher.connect(), admin.connect()]);
  await consumer.start();
  lag.start();
});
await deadLetters.refreshGauge();

// Read-model rows by status (orders by status for the business dashboard), counted on a timer
// rather than per scrape so that Prometheus never drives database load.
const readModelRows = metrics.readModelRows;
const refreshRows = async () => {
  const counted = documentModels.filter((m) => "status" in m.filters);
  const { rows } = await pool.query<{ model: string; status: string | null; n: string }>(
    counted
      .map((m) => `SELECT '${m.name}' AS model, status, count(*) AS n FROM ${m.table} GROUP BY status`)
      .join(" UNION ALL "),
  );
  readModelRows.reset();
  for (const r of rows) readModelRows.set({ model: r.model, status: r.status ?? "none" }, Number(r.n));
};
const rowsTimer = setInterval(() => void refreshRows().catch(() => {}), 5000);
await refreshRows();

const status = () =>
  projectionStatus({
    pool,
    admin,
    eventStoreUrl: config.eventStoreUrl,
    groupId: config.groupId,
    topic: topics.committed,
  });
const { server } = createProjectionApp({
  pool,
  logger,
  metrics,
  tracer: telemetry.tracer,
  deadLetters,
  ready: consumer.running,
  status,
  rebuild,
  lag,
  http: httpPolicy(config),
});
await serve({
  logger,
  server,
  port: config.port,
  host: config.host,
  stop: async () => {
    clearInterval(rowsTimer);
    await lag.stop();
    await consumer.stop();
    await publisher.disconnect();
    await admin.disconnect();
    await pool.end();
    await telemetry.shutdown();
  },
});
