/**
 * The platform's Kafka topics: the single list used by the native topic creator
 * (infra/src/kafka-cli.ts), docker-compose.yml's `topics` job (checked by
 * infra/test/compose.unit.spec.ts) and the tests.
 */
export const PLATFORM_TOPICS = [
  "events.ingest",
  "events.committed",
  "events.rejected",
  "events.deadletter",
] as const;

export type PlatformTopic = (typeof PLATFORM_TOPICS)[number];

export const DEFAULT_KAFKA_PARTITIONS = 6;

/** Partition count of each platform topic: KAFKA_PARTITIONS, default 6. */
export function kafkaPartitions(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KAFKA_PARTITIONS;
  if (raw === undefined || raw === "") return DEFAULT_KAFKA_PARTITIONS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`KAFKA_PARTITIONS must be a positive integer, got "${raw}"`);
  return n;
}
