import { fileURLToPath } from "node:url";
import { httpPolicy, outgoingKey, startConsumingService } from "@eventscope/platform";
import { readProjectionConfig } from "./config.ts";
import { createProjectionApp } from "./app.ts";
import { createCommittedConsumer } from "./consumer.ts";
import { refreshReadModelRows } from "./gauges.ts";
import { createRebuilds } from "./rebuild.ts";
import { projectionStatus, registerProjections } from "./status.ts";
import { createFreshness } from "./freshness.ts";
import { createStoreClient } from "./store-client.ts";

const config = readProjectionConfig();
const svc = await startConsumingService("projection", config, {
  migrations: fileURLToPath(new URL("./migrations", import.meta.url)),
  platform: ["consumed_streams"],
  consumes: [{ group: config.groupId, topic: "committed" }],
});
const { pool, logger, metrics, topics } = svc;
await registerProjections(pool);

const admin = svc.kafka.admin();
const consumer = createCommittedConsumer({
  ...svc,
  pool: svc.consumerPool,
  lag: svc.lag.reporter(config.groupId),
  groupId: config.groupId,
  topic: topics.committed,
  partitionsConcurrently: config.partitionsConcurrently,
});
const rebuild = createRebuilds({
  pool,
  logger,
  eventStoreUrl: config.eventStoreUrl,
  apiKey: outgoingKey(config.eventStoreApiKey, config.apiKeys, "read"),
});
await svc.every(5000, () => refreshReadModelRows(pool, metrics));

const status = () =>
  projectionStatus({
    pool,
    admin,
    eventStoreUrl: config.eventStoreUrl,
    groupId: config.groupId,
    topic: topics.committed,
  });
const store = createStoreClient(
  config.eventStoreUrl,
  outgoingKey(config.eventStoreApiKey, config.apiKeys, "read"),
);
const freshness = createFreshness({ pool, logger, store });
const { server } = createProjectionApp({
  ...svc,
  ready: consumer.running,
  status,
  rebuild,
  freshness,
  store,
  readWaitMaxMs: config.readWaitMaxMs,
  http: httpPolicy(config),
});
await svc.run({
  server,
  connect: async () => {
    await admin.connect();
    await consumer.start();
  },
  stop: async () => {
    await freshness.stop();
    await consumer.stop();
    await admin.disconnect();
  },
});
