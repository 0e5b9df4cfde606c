/**
 * Kafka admin helpers for infra/native/kafka.sh:
 *   node infra/src/kafka-cli.ts ready [timeoutMs]  exit 0 when describeCluster answers
 *   node infra/src/kafka-cli.ts topics             create the platform topics (skip existing), then
 *                                                  warm the group and transaction coordinators
 * Brokers from KAFKA_BROKERS (default 127.0.0.1:$KAFKA_PORT), partitions from KAFKA_PARTITIONS.
 */
import { Kafka, logLevel } from "kafkajs";
import type { Admin } from "kafkajs";
import { PLATFORM_TOPICS, kafkaPartitions } from "./topics.ts";

export interface TopicsResult {
  created: string[];
  existing: string[];
  /** Existing topics whose partition count differs from the requested one. */
  mismatched: { topic: string; partitions: number }[];
}

/** Creates the platform topics that do not exist yet, each with `partitions` partitions. */
export async function ensurePlatformTopics(
  admin: Admin,
  partitions: number = kafkaPartitions(),
): Promise<TopicsResult> {
  const present = new Set(await admin.listTopics());
  const missing = PLATFORM_TOPICS.filter((t) => !present.has(t));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    });
  }
  const existing = PLATFORM_TOPICS.filter((t) => present.has(t));
  const mismatched: TopicsResult["mismatched"] = [];
  if (existing.length > 0) {
    const meta = await admin.fetchTopicMetadata({ topics: existing });
    for (const t of meta.topics) {
      if (t.partitions.length !== partitions)
        mismatched.push({ topic: t.name, partitions: t.partitions.length });
    }
  }
  return { created: missing, existing, mismatched };
}

/**
 * Makes the broker create its internal topics now (`__consumer_offsets` on the first group
 * coordinator lookup, `__transaction_state` on the first transactional producer), so that the
 * first consumer group or transaction of a test does not meet "coordinator is loading" errors.
 */
export async function warmCoordinators(kafka: Kafka, admin: Admin): Promise<void> {
  await admin.describeGroups(["eventscope-infra-warmup"]);
  const producer = kafka.producer({ transactionalId: "eventscope-infra-warmup", maxInFlightRequests: 1 });
  await producer.connect();
  await producer.disconnect();
}

function brokers(): string[] {
  const list = process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? "9092"}`;
  return list.split(",").map((b) => b.trim());
}

async function ready(timeoutMs: number): Promise<void> {
  const kafka = new Kafka({
    clientId: "eventscope-infra",
    brokers: brokers(),
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  const timer = setTimeout(() => {
    console.error(`no answer from ${brokers().join(",")} within ${timeoutMs} ms`);
    process.exit(1);
  }, timeoutMs);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    console.log(
      `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), controller ${cluster.controller}`,
    );
  } finally {
    clearTimeout(timer);
    await admin.disconnect();
  }
}

async function topics(): Promise<void> {
  const kafka = new Kafka({ clientId: "eventscope-infra", brokers: brokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const partitions = kafkaPartitions();
    const r = await ensurePlatformTopics(admin, partitions);
    await warmCoordinators(kafka, admin);
    const parts = [
      r.created.length > 0 ? `created ${r.created.join(", ")}` : "",
      r.existing.length > 0 ? `${r.existing.length} existing` : "",
      `${partitions} partitions each`,
    ].filter((s) => s !== "");
    console.log(parts.join(", "));
    for (const m of r.mismatched) {
      console.error(
        `warning: ${m.topic} has ${m.partitions} partitions, KAFKA_PARTITIONS=${partitions} (left as is; purge to recreate)`,
      );
    }
  } finally {
    await admin.disconnect();
  }
}

if (import.meta.main) {
  const [command, arg] = process.argv.slice(2);
  const run = command === "ready" ? ready(Number(arg ?? 5000)) : command === "topics" ? topics() : undefined;
  if (run === undefined) {
    console.error("usage: kafka-cli.ts ready [timeoutMs] | topics");
    process.exit(2);
  }
  run.then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
