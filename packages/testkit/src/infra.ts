import { randomBytes } from "node:crypto";
import kafkajs from "kafkajs";
import pg from "pg";
import { filterKafkajsTimerWarnings, topicNames, type TopicNames } from "@eventscope/platform";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";
filterKafkajsTimerWarnings();

export const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
export const databaseUrl =
  process.env.DATABASE_URL ?? "postgres://eventscope:eventscope@127.0.0.1:55432/eventscope";

/** A name unique to this test run, usable as a schema, topic prefix and consumer group. */
export const uniqueName = (label: string): string => `t_${label}_${randomBytes(4).toString("hex")}`;

export function kafkaAdmin() {
  return new kafkajs.Kafka({
    clientId: "eventscope-tests",
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
}

/** True once the group has committed offsets up to the end of every partition of the topic. */
export async function consumedAll(groupId: string, topic: string): Promise<boolean> {
  const admin = kafkaAdmin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    return ends.every((e) => Number(e.high) === 0 || (at.get(e.partition) ?? -1) >= Number(e.high));
  } finally {
    await admin.disconnect();
  }
}

/** Creates the platform topics under a prefix of their own. */
export async function createTopics(prefix: string, partitions = 6): Promise<TopicNames> {
  const names = topicNames(prefix);
  const admin = kafkaAdmin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(names).map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
      })),
    });
  } finally {
    await admin.disconnect();
  }
  return names;
}

export async function deleteTopics(names: TopicNames): Promise<void> {
  const admin = kafkaAdmin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: Object.values(names) });
  } catch {
    // best effort: a left-over test topic is harmless
  } finally {
    await admin.disconnect();
  }
}

export function testPool(): pg.Pool {
  return new pg.Pool({ connectionString: databaseUrl, max: 4 });
}

export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
