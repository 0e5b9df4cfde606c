import { fileURLToPath } from "node:url";
import { httpPolicy, startConsumingService } from "@eventscope/platform";
import { createProcessManagerApp } from "./app.ts";
import { readProcessManagerConfig } from "./config.ts";
import { createCommittedConsumer } from "./consumer.ts";
import { createDispatcher } from "./dispatcher.ts";
import { activeByType } from "./queries.ts";
import { createRejectedConsumer } from "./rejections.ts";
import { sagas, type Settings } from "./sagas/index.ts";
import { createTimers } from "./timers.ts";

const config = readProcessManagerConfig();
const rejectedGroup = `${config.groupId}-rejected`;
const svc = await startConsumingService("process-manager", config, {
  migrations: fileURLToPath(new URL("./migrations", import.meta.url)),
  platform: ["consumed_streams"],
  consumes: [
    { group: config.groupId, topic: "committed" },
    // Its own steps' rejections: it parks nothing it reads there.
    { group: rejectedGroup, topic: "rejected", parks: false },
  ],
});
const { pool, logger, metrics, topics } = svc;

const settings: Settings = {
  paymentTimeoutMs: config.paymentTimeoutMs,
  cartIdleMs: config.cartIdleMs,
  activationReminderMs: config.activationReminderMs,
  lowStockThreshold: config.lowStockThreshold,
};
// Known series start at 0, so the first of each is a rate.
for (const { type } of sagas) {
  metrics.processesStarted.inc({ type }, 0);
  metrics.processesActive.set({ type }, 0);
}

const dispatcher = createDispatcher({
  pool,
  logger,
  metrics,
  tracer: svc.tracer,
  producerUrl: config.producerUrl,
  apiKey: config.apiKey,
  intervalMs: config.dispatchIntervalMs,
  sendTimeoutMs: config.sendTimeoutMs,
  retryBaseMs: config.retryBaseMs,
  retryMaxMs: config.retryMaxMs,
});
const onWritten = () => dispatcher.wake();
const consumer = createCommittedConsumer({
  ...svc,
  pool: svc.consumerPool,
  groupId: config.groupId,
  topic: topics.committed,
  partitionsConcurrently: config.partitionsConcurrently,
  fetchLingerMs: config.kafkaFetchLingerMs,
  settings,
  onWritten,
  lag: svc.lag.reporter(config.groupId),
});
const rejections = createRejectedConsumer({
  ...svc,
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
dispatcher.start();
timers.start();

await svc.every(5000, async () => {
  const active = await activeByType(pool);
  for (const { type } of sagas) metrics.processesActive.set({ type }, active.get(type) ?? 0);
});

const { server } = createProcessManagerApp({
  ...svc,
  ready: () => consumer.running() && rejections.running(),
  http: httpPolicy(config),
});
await svc.run({
  server,
  connect: async () => {
    await consumer.start();
    await rejections.start();
  },
  stop: async () => {
    await timers.stop();
    await dispatcher.stop();
    await consumer.stop();
    await rejections.stop();
  },
});
