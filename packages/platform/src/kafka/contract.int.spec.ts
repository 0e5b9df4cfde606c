// The Kafka interface's contract, run against both clients on the real broker: what the
// publisher, the batch consumer and the lag monitor rely on, whichever KAFKA_CLIENT is chosen.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokers, uniqueName, waitFor } from "@eventscope/testkit";
import { createBatchConsumer, type BatchConsumer } from "../batch-consumer.ts";
import { createPublisher, createKafka, headerValue, PublishError } from "../kafka.ts";
import { createLogger } from "../logger.ts";
import { createMetrics } from "../metrics.ts";
import {
  kafkaClientNames,
  type Kafka,
  type KafkaClientName,
  type KafkaMessage,
  type OutgoingRecord,
} from "./types.ts";

const logger = createLogger({ service: "kafka-contract", level: "silent" });
const clientFor = (client: KafkaClientName, port?: number): Promise<Kafka> =>
  createKafka({
    client,
    brokers: port ? [`127.0.0.1:${port}`] : brokers,
    clientId: `contract-${client}`,
    logger,
    connectionTimeoutMs: 1000,
  });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

interface Seen {
  member: string;
  partition: number;
  offset: number;
  key: string;
  value: string;
  headers: KafkaMessage["headers"];
}

// Every byte value, never valid UTF-8 as a whole: a header must come back as these bytes.
const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const recordsFor = (keys: string[], perKey: number, tag: string): OutgoingRecord[] =>
  Array.from({ length: perKey }, (_, i) =>
    keys.map((key) => ({
      key,
      value: JSON.stringify({ key, i, tag }),
      headers: {
        "x-seq": String(i),
        "x-binary": binary,
        traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01`,
      },
    })),
  ).flat();

async function setup(kafka: Kafka, partitions = 3) {
  const admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  const topic = uniqueName(`contract_${kafka.client}`);
  expect(await admin.createTopics([{ topic, numPartitions: partitions }])).toBe(true);
  cleanups.push(() => admin.deleteTopics([topic]));
  const publisher = createPublisher(kafka, { metrics: createMetrics("contract"), logger, timeoutMs: 10_000 });
  await publisher.connect();
  cleanups.push(() => publisher.disconnect());
  return { admin, topic, publisher };
}

function member(
  kafka: Kafka,
  topic: string,
  groupId: string,
  name: string,
  seen: Seen[],
  handle?: (messages: KafkaMessage[]) => Promise<void>,
  commitIntervalMs?: number,
): BatchConsumer {
  const consumer = createBatchConsumer({
    kafka,
    logger,
    metrics: createMetrics("contract"),
    groupId,
    topic,
    partitionsConcurrently: 3,
    maxChunk: 10,
    ...(commitIntervalMs === undefined ? {} : { commitIntervalMs }),
    async handle(messages) {
      await handle?.(messages);
      for (const m of messages)
        seen.push({
          member: name,
          partition: m.partition,
          offset: Number(m.offset),
          key: m.key!.toString(),
          value: m.value!.toString(),
          headers: m.headers,
        });
    },
  });
  cleanups.push(() => consumer.stop());
  return consumer;
}

const committedTotal = async (kafka: Kafka, groupId: string, topic: string): Promise<number> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
};

describe.each(kafkaClientNames)("Kafka through %s", (client) => {
  let kafka: Kafka;
  beforeAll(async () => {
    kafka = await clientFor(client);
  });

  it("publishes keyed records once each, in order per key on one partition, headers intact (string and binary)", async () => {
    const { topic, publisher, admin } = await setup(kafka);
    const keys = Array.from({ length: 6 }, (_, i) => `aggregate-${i}`);
    const records = recordsFor(keys, 20, "order");
    // Concurrent publishes share produce requests; per key they were issued in order.
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => publisher.publish(topic, records.slice(i * 10, i * 10 + 10))),
    );
    const seen: Seen[] = [];
    await member(kafka, topic, uniqueName("order"), "a", seen).start();
    await waitFor(async () => seen.length >= records.length, 30_000, "every record consumed");

    expect(seen).toHaveLength(records.length); // the idempotent producer wrote none twice
    for (const key of keys) {
      const mine = seen.filter((s) => s.key === key);
      expect(new Set(mine.map((s) => s.partition)).size).toBe(1);
      expect(mine.map((s) => (JSON.parse(s.value) as { i: number }).i)).toEqual([...Array(20).keys()]);
    }
    const first = seen[0]!;
    expect(headerValue(first.headers, "x-seq")).toMatch(/^\d+$/);
    expect(headerValue(first.headers, "traceparent")).toBe(`00-${"a".repeat(32)}-${"b".repeat(16)}-01`);
    const raw = first.headers["x-binary"];
    expect(Buffer.isBuffer(raw) && raw.equals(binary)).toBe(true);

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => o.partition)).toEqual([0, 1, 2]);
    expect(offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0)).toBe(records.length);
  });

  it("answers the admin's questions: topics, watermarks, a group's commits, offsets by time", async () => {
    const { topic, publisher, admin } = await setup(kafka, 2);
    expect(await admin.createTopics([{ topic, numPartitions: 2 }])).toBe(false); // already there
    const [described] = await admin.describeTopics([topic]);
    expect(described?.partitions.map((p) => p.partition)).toEqual([0, 1]);
    expect(described?.partitions.every((p) => p.leader >= 0)).toBe(true);
    const groupId = uniqueName("admin");
    const [before] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(before?.partitions.every((p) => p.offset === "-1")).toBe(true);

    const startedAt = Date.now();
    await publisher.publish(topic, recordsFor(["a", "b", "c", "d"], 5, "admin"));
    const seen: Seen[] = [];
    await member(kafka, topic, groupId, "a", seen).start();
    await waitFor(async () => (await committedTotal(kafka, groupId, topic)) === 20, 30_000, "all committed");
    const high = await admin.fetchTopicOffsets(topic);
    const [after] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(after?.partitions.map((p) => p.offset)).toEqual(high.map((o) => o.high));

    const fromStart = await admin.fetchTopicOffsetsByTimestamp(topic, startedAt - 60_000);
    expect(fromStart.map((o) => o.offset)).toEqual(high.map((o) => o.low));
    const future = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() + 3_600_000);
    expect(future.map((o) => o.offset)).toEqual(high.map((o) => o.high));

    // The lag probe reads the timestamp of the record at an offset, and the next one past a gap.
    const probe = kafka.lagProbe({ topic, groupPrefix: groupId });
    cleanups.push(() => probe.stop());
    const partition = high.find((o) => Number(o.high) > 1)!.partition;
    const read = await probe.timestampAt(partition, 1, 5000);
    expect(read?.offset).toBe(1);
    expect(read!.timestamp).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(read!.timestamp).toBeLessThanOrEqual(Date.now());
  });

  it("redelivers a batch whose handler failed, and never a committed one", async () => {
    const { topic, publisher } = await setup(kafka, 1);
    await publisher.publish(topic, recordsFor(["k"], 10, "first"));
    const groupId = uniqueName("commits");
    const failing: Seen[] = [];
    let attempts = 0;
    const a = member(kafka, topic, groupId, "a", failing, async () => {
      attempts++;
      throw new Error("this handler never succeeds");
    });
    await a.start();
    await waitFor(async () => attempts >= 2, 30_000, "the failed batch delivered again");
    await a.stop();
    expect(await committedTotal(kafka, groupId, topic)).toBe(0);

    const seen: Seen[] = [];
    const b = member(kafka, topic, groupId, "b", seen);
    await b.start();
    await waitFor(async () => (await committedTotal(kafka, groupId, topic)) === 10, 30_000, "b committed");
    expect(seen.map((s) => s.offset)).toEqual([...Array(10).keys()]);
    await b.stop();

    const later: Seen[] = [];
    await member(kafka, topic, groupId, "c", later).start();
    await publisher.publish(topic, recordsFor(["k"], 1, "second"));
    await waitFor(async () => later.length >= 1, 30_000, "the new record");
    await new Promise((r) => setTimeout(r, 500));
    expect(later.map((s) => s.offset)).toEqual([10]);
  });

  it("loses nothing while a second member joins and leaves, and processes nothing twice once committed", async () => {
    const { topic, publisher } = await setup(kafka, 3);
    const groupId = uniqueName("rebalance");
    const seen: Seen[] = [];
    const slow = () => new Promise<void>((r) => setTimeout(r, 5));
    const keys = Array.from({ length: 9 }, (_, i) => `r-${i}`);
    await publisher.publish(topic, recordsFor(keys, 20, "before"));
    await member(kafka, topic, groupId, "a", seen, slow).start();
    await waitFor(async () => seen.length > 0, 30_000, "a consuming");
    const b = member(kafka, topic, groupId, "b", seen, slow);
    await b.start();
    await publisher.publish(topic, recordsFor(keys, 20, "during"));
    await waitFor(async () => seen.some((s) => s.member === "b"), 30_000, "b got partitions");
    await b.stop();
    await publisher.publish(topic, recordsFor(keys, 10, "after"));
    const total = keys.length * 50;
    await waitFor(
      async () => (await committedTotal(kafka, groupId, topic)) === total,
      45_000,
      "all committed",
    );

    const unique = new Set(seen.map((s) => `${s.partition}/${s.offset}`));
    expect(unique.size).toBe(total);
    // A record is seen twice only when the member that had it lost its partition before committing:
    // at most one chunk per partition and rebalance.
    expect(seen.length - unique.size).toBeLessThanOrEqual(3 * 10 * 2);
    // A partition is one member's at a time: it changes hands at most once per rebalance (a fetch
    // answered after a join once had two members take turns on one partition, record by record).
    for (const partition of [0, 1, 2]) {
      const members = seen.filter((s) => s.partition === partition).map((s) => s.member);
      expect(members.filter((m, i) => i > 0 && m !== members[i - 1]).length).toBeLessThanOrEqual(2);
    }
    for (const key of keys) {
      // Per key, the first sighting of each record follows publish order.
      const firsts = [...new Map(seen.filter((s) => s.key === key).map((s) => [s.offset, s])).values()];
      const order = firsts.map((s) => JSON.parse(s.value) as { i: number; tag: string });
      expect(order.map((o) => o.tag)).toEqual([
        ...Array<string>(20).fill("before"),
        ...Array<string>(20).fill("during"),
        ...Array<string>(10).fill("after"),
      ]);
    }
  });

  it("refuses as not sent when the broker cannot be reached, in doubt when a sent request outlives the deadline (the HTTP layer answers 503 and 504)", async () => {
    const unreachable = createPublisher(await clientFor(client, 1), {
      metrics: createMetrics("contract"),
      logger,
      timeoutMs: 3000,
    });
    await expect(unreachable.connect()).rejects.toThrow();
    cleanups.push(() => unreachable.disconnect());
    const refused = await unreachable
      .publish("nowhere", recordsFor(["x"], 1, "503"))
      .catch((e: unknown) => e);
    expect(refused instanceof PublishError && [refused.outcome, refused.retriable]).toEqual([
      "not-sent",
      true,
    ]);

    const { topic } = await setup(kafka, 1);
    const hasty = createPublisher(kafka, { metrics: createMetrics("contract"), logger, timeoutMs: 1 });
    await hasty.connect();
    cleanups.push(() => hasty.disconnect());
    const big = Array.from({ length: 2000 }, (_, i) => ({
      key: `k${i}`,
      value: "x".repeat(1000),
      headers: {},
    }));
    const doubt = await hasty.publish(topic, big).catch((e: unknown) => e);
    expect(doubt instanceof PublishError && [doubt.outcome, doubt.retriable]).toEqual(["in-doubt", true]);
  });
});

it("gathers the commits of @platformatic/kafka per interval, and sends what was processed when the member stops", async () => {
  const kafka = await clientFor("platformatic");
  const { topic, publisher } = await setup(kafka, 3);
  const keys = Array.from({ length: 6 }, (_, i) => `gathered-${i}`);
  await publisher.publish(topic, recordsFor(keys, 10, "gathered"));
  const groupId = uniqueName("gathered");
  // An interval longer than the test: nothing may be committed before the member stops.
  const seen: Seen[] = [];
  const consumer = member(kafka, topic, groupId, "a", seen, undefined, 600_000);
  await consumer.start();
  await waitFor(async () => seen.length >= 60, 30_000, "every record handled");
  expect(await committedTotal(kafka, groupId, topic)).toBe(0);
  await consumer.stop();
  expect(await committedTotal(kafka, groupId, topic)).toBe(60);

  // With the default interval the commits follow within a moment, without a stop.
  const again: Seen[] = [];
  const second = member(kafka, topic, groupId, "b", again);
  await second.start();
  await publisher.publish(topic, recordsFor(keys, 2, "later"));
  await waitFor(
    async () => (await committedTotal(kafka, groupId, topic)) === 72,
    30_000,
    "committed by the interval",
  );
  expect(again).toHaveLength(12); // nothing committed before was delivered again
});

it("hands the partitions of one @platformatic/kafka fetch to one handler call, and lingers after a fetch that brought records", async () => {
  const kafka = await clientFor("platformatic");
  const { topic, publisher } = await setup(kafka, 3);
  const keys = Array.from({ length: 6 }, (_, i) => `lingered-${i}`);
  const before = recordsFor(keys, 2, "before");
  await publisher.publish(topic, before);
  const partitionsOf = new Set<number>();
  const calls: { at: number; partitions: number[]; offsets: string[] }[] = [];
  const lingerMs = 1500;
  const consumer = createBatchConsumer({
    kafka,
    logger,
    metrics: createMetrics("contract"),
    groupId: uniqueName("lingered"),
    topic,
    partitionsConcurrently: 3,
    fetchLingerMs: lingerMs,
    async handle(messages) {
      for (const m of messages) partitionsOf.add(m.partition);
      calls.push({
        at: Date.now(),
        partitions: [...new Set(messages.map((m) => m.partition))],
        offsets: messages.map((m) => `${m.partition}/${m.offset}`),
      });
    },
  });
  cleanups.push(() => consumer.stop());
  const count = () => calls.reduce((n, c) => n + c.offsets.length, 0);
  await consumer.start();
  await waitFor(async () => count() >= before.length, 30_000, "the first records handled");
  // Six keys over three partitions, already there when the member joined: one fetch, one call.
  expect(partitionsOf.size).toBe(3);
  expect(calls).toHaveLength(1);
  expect(calls[0]!.partitions.sort()).toEqual([0, 1, 2]);

  // Records produced one by one while the consumer lingers are fetched together after it.
  const firstAt = calls[0]!.at;
  for (const [i, key] of keys.slice(0, 3).entries())
    await publisher.publish(topic, recordsFor([key], 1, `during-${i}`));
  await waitFor(async () => count() >= before.length + 3, 30_000, "the later records handled");
  expect(calls).toHaveLength(2);
  expect(calls[1]!.at - firstAt).toBeGreaterThanOrEqual(lingerMs - 500);
  expect(new Set(calls.flatMap((c) => c.offsets)).size).toBe(before.length + 3);
});

it("places a key on the same partition whichever client produced it (murmur2, as the Java client)", async () => {
  const [first, second] = await Promise.all(kafkaClientNames.map((c) => clientFor(c)));
  const { topic, publisher, admin } = await setup(first!, 6);
  const other = createPublisher(second!, { metrics: createMetrics("contract"), logger });
  await other.connect();
  cleanups.push(() => other.disconnect());
  const keys = Array.from({ length: 24 }, (_, i) => `customer-${i}`);
  await publisher.publish(topic, recordsFor(keys, 1, "first"));
  await other.publish(topic, recordsFor(keys, 1, "second"));
  const seen: Seen[] = [];
  await member(first!, topic, uniqueName("partitioner"), "a", seen).start();
  await waitFor(async () => seen.length >= keys.length * 2, 30_000, "both clients' records");
  for (const key of keys)
    expect(new Set(seen.filter((s) => s.key === key).map((s) => s.partition)).size).toBe(1);
  expect(new Set(seen.map((s) => s.partition)).size).toBeGreaterThan(1);
  void admin;
});
