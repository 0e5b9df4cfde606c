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
  outgoingKey,
} from "@eventscope/platform";
import { createNotificationApp } from "./app.ts";
import { createChannels } from "./channels.ts";
import { demoSecretKey, readNotificationConfig } from "./config.ts";
import { createCommittedConsumer } from "./consumer.ts";
import { countByStatus } from "./deliveries.ts";
import { createDispatcher } from "./dispatcher.ts";
import { channels as deliveryChannels } from "./plan.ts";
import { createRecipients } from "./recipients.ts";
import { createSecretBox, parseSecretKey } from "./secret-box.ts";
import { countSubscriptions } from "./subscription-health.ts";
import { sealClearSecrets } from "./subscriptions.ts";
import { createWebhookMetrics } from "./webhook-metrics.ts";
import { parseAllowList } from "./webhook-policy.ts";
import { createResolve, type TargetPolicy } from "./webhook-target.ts";

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
  platform: ["dead_letters", "consumed_streams"],
  onApplied: (applied) => logger.info({ applied }, "migrations applied"),
});

const secrets = createSecretBox(parseSecretKey(config.webhookSecretKey));
const webhookPolicy: TargetPolicy = {
  allow: parseAllowList(config.webhookAllowedTargets),
  resolve: createResolve(config.webhookDnsServers),
};
const webhookMetrics = createWebhookMetrics(metrics.registry);
// Secrets from before sealing existed are sealed before anything is sent (the key by its
// fingerprint only: the key itself is never logged).
const sealed = await sealClearSecrets(pool, secrets);
logger.info(
  {
    webhookAllowedTargets: webhookPolicy.allow.entries,
    secretKeyId: secrets.keyId,
    ...(sealed > 0 ? { sealedSecrets: sealed } : {}),
  },
  "webhook policy",
);
if (config.webhookSecretKey === demoSecretKey)
  logger.warn("webhook secrets are sealed with the published demo key; set WEBHOOK_SECRET_KEY");

const topics = topicNames(config.topicPrefix);
// Known error series start at 0 (Prometheus: "avoid missing metrics"), so the first error is a rate.
metrics.consumeErrors.inc({ topic: topics.committed, group: config.groupId, reason: "malformed" }, 0);
metrics.deadLetters.inc({ topic: topics.committed, reason: "malformed" }, 0);
for (const channel of deliveryChannels) metrics.notificationErrors.inc({ channel }, 0);
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: service, logger });
const publisher = createPublisher(kafka, { metrics, logger });
const deadLetters = createDeadLetters({ pool, publisher, metrics, topic: topics.deadLetter });
const channels = createChannels({ ...config, webhookPolicy });
const dispatcher = createDispatcher({
  pool,
  channels,
  logger,
  metrics,
  tracer: telemetry.tracer,
  retry: { maxAttempts: config.maxAttempts, baseMs: config.retryBaseMs, maxMs: config.retryMaxMs },
  intervalMs: config.dispatchIntervalMs,
  concurrency: config.dispatchConcurrency,
  webhookConcurrency: config.webhookConcurrency,
  leaseMs: config.leaseMs,
  secrets,
  failureBudget: { failures: config.failureBudget, windowMs: config.failureWindowMs },
  webhookMetrics,
  recipients: createRecipients({
    projectionUrl: config.projectionUrl,
    apiKey: outgoingKey(config.projectionApiKey, config.apiKeys, "read"),
    timeoutMs: config.webhookTimeoutMs,
    emailToDefault: config.emailToDefault,
  }),
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
  for (const [status, n] of Object.entries(await countSubscriptions(pool)))
    webhookMetrics.subscriptions.set({ status }, n);
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
  webhooks: { policy: webhookPolicy, secrets, webhookMetrics },
  http: httpPolicy(config),
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
