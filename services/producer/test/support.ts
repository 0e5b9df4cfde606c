// What the door tests share: every service's route table (as each service's documentation builds
// it, with stub dependencies: no handler runs), paths with their parameters filled in, the ingest topic's
// high watermark, and the keys of each scope.
import { eventStoreDocs } from "@eventscope/event-store";
import { notificationDocs } from "@eventscope/notification";
import type { Scope } from "@eventscope/platform";
import { projectionDocs } from "@eventscope/projection";
import { kafkaAdmin } from "@eventscope/testkit";
import { producerDocs } from "../src/index.ts";

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
  return {
    producer: producerDocs.routes(),
    eventStore: eventStoreDocs.routes(),
    projection: projectionDocs.routes(),
    notification: notificationDocs.routes(),
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
