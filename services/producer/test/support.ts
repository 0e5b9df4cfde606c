// What the door tests share: every service's route table (built with stub dependencies, as the
// OpenAPI check does: no handler runs), paths with their parameters filled in, the ingest topic's
// high watermark, and the keys of each scope.
import { createLogger, createMetrics, trace, type Scope } from "@eventscope/platform";
import { kafkaAdmin } from "@eventscope/testkit";
import { createProducerApp } from "../src/app.ts";
import { readProducerConfig } from "../src/config.ts";
import { createEventStoreApp } from "../../event-store/src/app.ts";
import { createProjectionApp } from "../../projection/src/app.ts";
import { createNotificationApp } from "../../notification/src/app.ts";

export type ServiceKey = "producer" | "eventStore" | "projection" | "notification";

export interface TableRoute {
  method: string;
  path: string;
  scope?: Scope;
}

/** One key per scope, and one that holds them all (as the demo key does). */
export const keys = { write: "k-writer", read: "k-reader", admin: "k-admin", all: "k-all" } as const;
export const apiKeysSetting = `${keys.write}:write,${keys.read}:read,${keys.admin}:admin,${keys.all}`;
/** A key that holds anything but `scope`. */
export const wrongKeyFor = (scope: Scope): string => (scope === "write" ? keys.read : keys.write);

export function routeTables(): Record<ServiceKey, TableRoute[]> {
  const common = (service: string) => ({
    logger: createLogger({ service, level: "silent" }),
    metrics: createMetrics(service),
    tracer: trace.getTracer("door-tests"),
  });
  const stub = {} as never;
  const store = { pool: stub, deadLetters: stub, lag: stub, ready: () => false };
  return {
    producer: createProducerApp({ ...common("producer"), config: readProducerConfig({}), publisher: stub })
      .routes,
    eventStore: createEventStoreApp({ ...common("event-store"), ...store }).routes,
    projection: createProjectionApp({
      ...common("projection"),
      ...store,
      status: async () => [],
      rebuild: () => false,
    }).routes,
    notification: createNotificationApp({ ...common("notification"), ...store, onReplayed: () => undefined })
      .routes,
  };
}

/** A route's path with each `:param` replaced by a value of the right shape, or by `hostile[param]`. */
export function fill(path: string, hostile: Record<string, string> = {}): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    if (hostile[name] !== undefined) return hostile[name];
    if (name === "aggregateType") return "User";
    if (name === "name") return "user_activity";
    if (/^(id|eventId)$/.test(name))
      return path.includes("dead-letters") ? "999999" : "00000000-0000-4000-8000-000000000000";
    return "door-test";
  });
}

export const paramsOf = (path: string): string[] => [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);

export async function highWatermark(topic: string): Promise<number> {
  const admin = kafkaAdmin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}
