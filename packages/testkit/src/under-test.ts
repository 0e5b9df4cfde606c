// Services under test on topics and a schema of their own, and what the poison and
// stuck-partition tests do to them: records produced straight onto one partition (around every
// check, as any client can), a lock held in another session, readiness waited for.
import kafkajs from "kafkajs";
import type pg from "pg";
import { toKafkaRecord, type EventEnvelope } from "@eventscope/contracts";
import type { TopicNames } from "@eventscope/platform";
import { request } from "./http.ts";
import { brokers, createTopics, deleteTopics, dropSchema, testPool, uniqueName } from "./infra.ts";
import { startService, waitFor, type RunningProcess, type ServiceName } from "./services.ts";

export interface ServiceUnderTest {
  /** The schema's name, and the topics' prefix before the dot. */
  name: string;
  topics: TopicNames;
  groupId: string;
  service: RunningProcess;
  pool: pg.Pool;
  /** Kills the service, drops its schema and topics. */
  stop(): Promise<void>;
}

/** One service on topics (of `partitions` each) and a schema of its own, named after `label`. */
export async function serviceUnderTest(
  service: ServiceName,
  label: string,
  env: Record<string, string> = {},
  partitions = 2,
): Promise<ServiceUnderTest> {
  const name = uniqueName(label);
  const topics = await createTopics(`${name}.`, partitions);
  const groupId = `${name}-${service}`;
  const running = await startService(service, {
    TOPIC_PREFIX: `${name}.`,
    LOG_LEVEL: "warn",
    DATABASE_SCHEMA: name,
    CONSUMER_GROUP: groupId,
    ...env,
  });
  const pool = testPool();
  return {
    name,
    topics,
    groupId,
    service: running,
    pool,
    async stop() {
      await running.kill();
      await dropSchema(pool, name);
      await pool.end();
      await deleteTopics(topics);
    },
  };
}

export interface WriteSideUnderTest {
  name: string;
  topics: TopicNames;
  store: RunningProcess;
  producer: RunningProcess;
  pool: pg.Pool;
  stop(): Promise<void>;
}

/**
 * The producer and the event store on topics and a schema of their own. `env` goes to both;
 * the producer finds the store at `producerEnv.EVENT_STORE_URL`, else at the store's own URL.
 */
export async function writeSideUnderTest(
  label: string,
  options: {
    partitions?: number;
    env?: Record<string, string>;
    storeEnv?: Record<string, string>;
    producerEnv?: Record<string, string>;
  } = {},
): Promise<WriteSideUnderTest> {
  const name = uniqueName(label);
  const topics = await createTopics(`${name}.`, options.partitions);
  const env = { TOPIC_PREFIX: `${name}.`, LOG_LEVEL: "warn", ...options.env };
  const store = await startService("event-store", {
    ...env,
    DATABASE_SCHEMA: name,
    CONSUMER_GROUP: `${name}-event-store`,
    ...options.storeEnv,
  });
  const producer = await startService("producer", {
    ...env,
    EVENT_STORE_URL: store.url,
    ...options.producerEnv,
  });
  const pool = testPool();
  return {
    name,
    topics,
    store,
    producer,
    pool,
    async stop() {
      await Promise.all([producer.kill(), store.kill()]);
      await dropSchema(pool, name);
      await pool.end();
      await deleteTopics(topics);
    },
  };
}

/** Sends records straight onto partition 0 of a topic, so that they are read in the order sent. */
export function partitionZero(clientId: string) {
  const producer = new kafkajs.Kafka({ clientId, brokers, logLevel: kafkajs.logLevel.NOTHING }).producer();
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    send: (topic: string, events: EventEnvelope[]) =>
      producer.send({
        topic,
        acks: -1,
        messages: events.map((e) => ({ ...toKafkaRecord(e), partition: 0 })),
      }),
  };
}

/** Runs `during` while another session holds what `lock` takes (in a transaction rolled back after). */
export async function whileLocked<T>(
  pool: pg.Pool,
  lock: (holder: pg.PoolClient) => Promise<unknown>,
  during: () => Promise<T>,
): Promise<T> {
  const holder = await pool.connect();
  try {
    await holder.query("BEGIN");
    await lock(holder);
    return await during();
  } finally {
    await holder.query("ROLLBACK");
    holder.release();
  }
}

/** Waits until the service's /health/ready fails, and answers its body. */
export const readinessFailure = (url: string): Promise<any> =>
  waitFor(
    async () => {
      const res = await request(`${url}/health/ready`);
      return res.status === 503 ? res.body : undefined;
    },
    15_000,
    "readiness to fail",
  );

/** Waits until the service's /health/ready answers 200 again. */
export const readinessRecovery = (url: string): Promise<boolean> =>
  waitFor(async () => (await request(`${url}/health/ready`)).status === 200, 15_000, "readiness to recover");
