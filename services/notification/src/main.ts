import { fileURLToPath } from "node:url";
import { httpPolicy, outgoingKey, startConsumingService } from "@eventscope/platform";
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

const config = readNotificationConfig();
const svc = await startConsumingService("notification", config, {
  migrations: fileURLToPath(new URL("./migrations", import.meta.url)),
  platform: ["consumed_streams"],
  consumes: [{ group: config.groupId, topic: "committed" }],
});
const { pool, logger, metrics, topics } = svc;

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

// Known error series start at 0 (Prometheus: "avoid missing metrics"), so the first error is a rate.
for (const channel of deliveryChannels) metrics.notificationErrors.inc({ channel }, 0);
const channels = createChannels({ ...config, webhookPolicy });
const dispatcher = createDispatcher({
  pool,
  channels,
  logger,
  metrics,
  tracer: svc.tracer,
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
const consumer = createCommittedConsumer({
  ...svc,
  pool: svc.consumerPool,
  lag: svc.lag.reporter(config.groupId),
  topic: topics.committed,
  groupId: config.groupId,
  partitionsConcurrently: config.partitionsConcurrently,
  fetchLingerMs: config.kafkaFetchLingerMs,
  emailToDefault: config.emailToDefault,
  onRecorded: dispatcher.wake,
});

// Deliveries by status, for the notifications dashboard, and subscriptions by status.
await svc.every(5000, async () => {
  for (const [status, n] of Object.entries(await countByStatus(pool)))
    metrics.notificationDeliveries.set({ status }, n);
  for (const [status, n] of Object.entries(await countSubscriptions(pool)))
    webhookMetrics.subscriptions.set({ status }, n);
});
dispatcher.start();

const { server } = createNotificationApp({
  ...svc,
  ready: consumer.running,
  onReplayed: dispatcher.wake,
  webhooks: { policy: webhookPolicy, secrets, webhookMetrics },
  http: httpPolicy(config),
});
await svc.run({
  server,
  connect: () => consumer.start(),
  stop: async () => {
    await consumer.stop();
    await dispatcher.stop();
    channels.close();
  },
});
