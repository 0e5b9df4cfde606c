import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, Partitioners, logLevel } from "kafkajs";
import type { Admin } from "kafkajs";
import { partPid } from "../../loadtests/src/cpu.ts";
import { eventscopeHome } from "../../loadtests/src/run/setup.ts";
import { testEnv } from "../src/test-env.ts";
import { PLATFORM_TOPICS } from "../src/topics.ts";

const kafka = new Kafka({
  clientId: "infra-int-test",
  brokers: testEnv.kafkaBrokers,
  logLevel: logLevel.WARN,
});

async function until(what: string, timeoutMs: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("Kafka (KRaft) through kafkajs", () => {
  let admin: Admin;
  const topic = `infra-test.roundtrip.${randomUUID()}`;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
    });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it("describes a cluster of one broker that does not auto-create topics", async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 4 /* BROKER */, name: String(cluster.brokers[0]?.nodeId), configNames: [] }],
    });
    const entries = configs.resources[0]?.configEntries ?? [];
    const value = (name: string): string | undefined =>
      entries.find((e) => e.configName === name)?.configValue;
    expect(value("auto.create.topics.enable")).toBe("false");
    expect(value("offsets.topic.replication.factor")).toBe("1");
    // The log cleaner's offset map (heap, allocated at start): 16 MiB instead of 128.
    expect(value("log.cleaner.dedupe.buffer.size")).toBe(String(16 * 2 ** 20));
  });

  it("has every platform topic with KAFKA_PARTITIONS partitions", async () => {
    const meta = await admin.fetchTopicMetadata({ topics: [...PLATFORM_TOPICS] });
    expect(meta.topics.map((t) => t.name).sort()).toEqual([...PLATFORM_TOPICS].sort());
    for (const t of meta.topics) expect(t.partitions, t.name).toHaveLength(testEnv.kafkaPartitions);
  });

  it("delivers what an idempotent acks=all producer sends to a consumer group, in key order, and reads its committed offsets back", async () => {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const sent = Array.from({ length: 60 }, (_, i) => ({
      key: `key-${i % 6}`,
      value: JSON.stringify({ i }),
    }));
    const results = await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();
    expect(results.every((r) => r.errorCode === 0)).toBe(true);

    const groupId = `infra-test-${randomUUID()}`;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 500,
    });
    const received: { key: string; i: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        for (const m of batch.messages) {
          received.push({
            key: m.key?.toString() ?? "",
            i: (JSON.parse(m.value?.toString() ?? "{}") as { i: number }).i,
          });
          payload.resolveOffset(m.offset);
        }
        await consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: (BigInt(batch.lastOffset()) + 1n).toString(),
          },
        ]);
        await payload.heartbeat();
      },
    });
    try {
      await until("60 messages", 45_000, () => received.length >= sent.length);
    } finally {
      await consumer.disconnect();
    }

    expect(received.map((r) => r.i).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    for (let k = 0; k < 6; k++) {
      const ofKey = received.filter((r) => r.key === `key-${k}`).map((r) => r.i);
      expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
    }

    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    expect(committed?.partitions).toHaveLength(3);
    for (const p of committed?.partitions ?? []) {
      expect(p.offset).toBe(ends.find((e) => e.partition === p.partition)?.high);
    }
    const total = (committed?.partitions ?? []).reduce((n, p) => n + Number(p.offset), 0);
    expect(total).toBe(sent.length);
  });

  it("commits a transaction's messages and hides an aborted one from read-committed consumers", async () => {
    const txTopic = `${topic}.tx`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: txTopic, numPartitions: 1 }] });
    try {
      const producer = kafka.producer({
        transactionalId: `infra-test-${randomUUID()}`,
        maxInFlightRequests: 1,
        idempotent: true,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      const committed = await producer.transaction();
      await committed.send({ topic: txTopic, messages: [{ value: "kept-1" }, { value: "kept-2" }] });
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic: txTopic, messages: [{ value: "aborted" }] });
      await aborted.abort();
      const after = await producer.transaction();
      await after.send({ topic: txTopic, messages: [{ value: "kept-3" }] });
      await after.commit();
      await producer.disconnect();

      const consumer = kafka.consumer({
        groupId: `infra-test-${randomUUID()}`,
        readUncommitted: false,
        maxWaitTimeInMs: 500,
      });
      const values: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: txTopic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) values.push(m.value?.toString() ?? "");
        },
      });
      try {
        await until("3 committed messages", 45_000, () => values.length >= 3);
      } finally {
        await consumer.disconnect();
      }
      expect(values).toEqual(["kept-1", "kept-2", "kept-3"]);
    } finally {
      await admin.deleteTopics({ topics: [txTopic] }).catch(() => undefined);
    }
  });
});

// The native broker (not a container's: no pid of it here) runs with the JIT KAFKA_JIT chose.
const brokerPid = partPid(join(eventscopeHome(), "run"), "kafka") ?? 0;
describe.runIf(brokerPid > 0 && existsSync(`/proc/${brokerPid}/cmdline`))("the native broker's JVM", () => {
  it("compiles with the client compiler only unless KAFKA_JIT=c2", () => {
    const args = readFileSync(`/proc/${brokerPid}/cmdline`, "utf8").split("\0");
    expect(args).toContain("kafka.Kafka");
    if (process.env.KAFKA_JIT === "c2") expect(args).not.toContain("-XX:TieredStopAtLevel=1");
    else expect(args).toContain("-XX:TieredStopAtLevel=1");
  });
});
