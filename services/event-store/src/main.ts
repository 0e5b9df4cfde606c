import { fileURLToPath } from "node:url";
import { domains } from "@eventscope/contracts";
import { httpPolicy, startConsumingService } from "@eventscope/platform";
import { readEventStoreConfig } from "./config.ts";
import { createEventStoreApp } from "./app.ts";
import { createIngestConsumer } from "./consumer.ts";
import { createStoreSizeCounter } from "./gauges.ts";

const config = readEventStoreConfig();
const svc = await startConsumingService("event-store", config, {
  migrations: fileURLToPath(new URL("./migrations", import.meta.url)),
  consumes: [{ group: config.groupId, topic: "ingest" }],
  publishTimeoutMs: config.publishTimeoutMs,
});
const { pool, metrics, topics } = svc;
// Known error series start at 0 (Prometheus: "avoid missing metrics"), so the first error is a rate.
for (const topic of [topics.committed, topics.rejected, topics.deadLetter])
  metrics.publishErrors.inc({ topic, reason: "timeout" }, 0);
for (const d of domains) metrics.snapshotsTaken.inc({ aggregate_type: d.aggregateType }, 0);

const consumer = createIngestConsumer({
  ...svc,
  pool: svc.consumerPool,
  lag: svc.lag.reporter(config.groupId),
  ...config,
});
const storeSize = createStoreSizeCounter(pool, metrics);
await svc.every(10_000, () => storeSize.refresh().then(() => {}));

const { server } = createEventStoreApp({ ...svc, ready: consumer.running, http: httpPolicy(config) });
await svc.run({ server, connect: () => consumer.start(), stop: () => consumer.stop() });
