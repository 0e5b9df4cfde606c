import { startService } from "@eventscope/platform";
import { readProducerConfig } from "./config.ts";
import { createProducerApp } from "./app.ts";

const config = readProducerConfig();
const svc = await startService("producer", config, {
  publishTimeoutMs: config.publishTimeoutMs,
  publishLingerMs: config.publishLingerMs,
});
// Known error series start at 0 (Prometheus: "avoid missing metrics"), so the first error is a rate.
svc.metrics.publishErrors.inc({ topic: svc.topics.ingest, reason: "timeout" }, 0);

const { server } = createProducerApp({ ...svc, config });
await svc.run({ server });
