import kafkajs from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokers, kafkaAdmin, uniqueName, waitFor } from "@eventscope/testkit";
import { createLagMonitor, type GroupLag, type LagMonitor, type LagReporter } from "./lag-monitor.ts";
import { createMetrics } from "./metrics.ts";
import { createKafka } from "./kafka.ts";
import { createLogger } from "./logger.ts";

// The lag monitor against the real Kafka: a group that falls behind, stops, stalls and catches up.
const kafka = new kafkajs.Kafka({ clientId: "lag-test", brokers, logLevel: kafkajs.logLevel.NOTHING });
// The monitor reads through the platform's client (KAFKA_CLIENT picks it); the test drives the group with kafkajs.
const client = await createKafka({
  brokers,
  clientId: "lag-test",
  logger: createLogger({ service: "lag-test", level: "silent" }),
});
const topic = uniqueName("lag");
const partitions = 3;
const perPartition = 20;
// Message i of every partition is stamped (i - 100) seconds before the test started, so the age
// of the oldest unconsumed message says which message it was read from (not interpolated).
const base = Date.now();
const stamp = (i: number) => base - (100 - i) * 1000;
const monitors: LagMonitor[] = [];
const consumers: kafkajs.Consumer[] = [];

const monitorFor = (group: string, options: { probe?: boolean; stuckAfterMs?: number } = {}) => {
  const metrics = createMetrics("lag-test");
  const monitor = createLagMonitor({
    kafka: client,
    groups: [{ group, topic }],
    metrics,
    intervalMs: 200,
    windowSize: 5,
    probeTimeoutMs: 3000,
    ...options,
  });
  monitors.push(monitor);
  return { monitor, metrics };
};

const groupOf = async (monitor: LagMonitor): Promise<GroupLag> => (await monitor.sample()).groups[0]!;

/** A consumer of the test topic for `group`; `handle` returns false to stop taking messages. */
async function consume(
  group: string,
  handle: (partition: number, offset: number) => Promise<boolean> | boolean,
  reporter?: LagReporter,
): Promise<kafkajs.Consumer> {
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
    retry: { retries: 1000, initialRetryTime: 100, maxRetryTime: 300 },
  });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      reporter?.batchStarted(batch.topic, batch.partition, batch.messages[0]);
      for (const m of batch.messages) {
        if (!(await handle(batch.partition, Number(m.offset)))) return;
        payload.resolveOffset(m.offset);
      }
      await payload.heartbeat();
    },
  });
  return consumer;
}

beforeAll(async () => {
  const admin = kafkaAdmin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < partitions; p++) {
    await producer.send({
      topic,
      messages: Array.from({ length: perPartition }, (_, i) => ({
        partition: p,
        key: `k${p}`,
        value: `m${i}`,
        timestamp: String(stamp(i)),
      })),
    });
  }
  await producer.disconnect();
});

afterAll(async () => {
  await Promise.all(monitors.map((m) => m.stop()));
  await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
  const admin = kafkaAdmin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

describe("the lag monitor on the real Kafka", () => {
  it("measures a group that fell behind and stopped: lag in messages, lag in seconds from the message at the committed offset, STOP", async () => {
    const group = uniqueName("behind");
    // The group takes the first 5 messages of each partition, commits them, and stops.
    const seen = new Map<number, number>();
    const consumer = await consume(group, (partition, offset) => {
      if (offset >= 5) return false;
      seen.set(partition, offset);
      return true;
    });
    const { monitor, metrics } = monitorFor(group);
    await waitFor(
      async () => ((await groupOf(monitor)).partitions.every((p) => p.committed === 5) ? true : undefined),
      20_000,
      "the group to commit offset 5 everywhere",
    );
    await consumer.disconnect();

    const g = await groupOf(monitor);
    expect(g.lag).toBe(partitions * (perPartition - 5));
    for (const p of g.partitions) {
      expect(p).toMatchObject({ committed: 5, high: perPartition, lag: perPartition - 5 });
      // Message 5 was stamped 95 s before the test began: its age, not an estimate.
      const expected = (Date.now() - stamp(5)) / 1000;
      expect(p.lagSeconds).not.toBeNull();
      expect(Math.abs(p.lagSeconds! - expected)).toBeLessThan(3);
    }
    expect(g.lagSeconds).toBeGreaterThan(90);

    // No commits for longer than the window (5 x 200 ms) while lag > 0: STOP. The partitions'
    // last commits are a sample or so apart, and the group's verdict is the worst one's: under
    // load the group can read STOP a sample before the last partition does: every one must within 10 s.
    monitor.start();
    await waitFor(
      async () => {
        const r = monitor.report().groups[0]!;
        return r.verdict === "STOP" && r.partitions.every((p) => p.verdict === "STOP") ? r : undefined;
      },
      10_000,
      "STOP",
    );
    // ...and the lag in seconds keeps growing with the clock (one timestamp, read once).
    const later = await waitFor(async () => {
      const r = monitor.report().groups[0]!;
      return r.lagSeconds! > g.lagSeconds! + 0.5 ? r : undefined;
    });
    expect(later.lagSeconds).toBeGreaterThan(g.lagSeconds!);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      new RegExp(`kafka_consumer_lag\\{[^}]*group="${group}"[^}]*partition="0"[^}]*\\} 15`),
    );
    expect(text).toMatch(new RegExp(`kafka_consumer_lag_verdict\\{[^}]*group="${group}"[^}]*\\} 3`));
    expect(text).toMatch(
      new RegExp(`kafka_consumer_lag_seconds\\{[^}]*group="${group}"[^}]*\\} (9\\d|1\\d\\d)`),
    );

    // The group comes back and catches up: lag 0, 0 s, OK.
    const monitorReporter = monitor.reporter(group);
    await consume(group, () => true, monitorReporter);
    const caughtUp = await waitFor(
      async () => {
        const r = monitor.report().groups[0]!;
        return r.lag === 0 && r.verdict === "OK" ? r : undefined;
      },
      30_000,
      "the group to catch up",
    );
    expect(caughtUp.lagSeconds).toBe(0);
    expect(caughtUp.partitions.every((p) => p.lag === 0 && p.lagSeconds === 0 && p.verdict === "OK")).toBe(
      true,
    );
    expect(await metrics.registry.metrics()).toMatch(
      new RegExp(`kafka_consumer_lag_verdict\\{[^}]*group="${group}"[^}]*\\} 0`),
    );
  });

  it("a group that never committed lags by the whole log, aged from its first message", async () => {
    const group = uniqueName("never");
    const { monitor } = monitorFor(group);
    const g = await groupOf(monitor);
    expect(g.lag).toBe(partitions * perPartition);
    expect(g.partitions.every((p) => p.committed === -1)).toBe(true);
    expect(Math.abs(g.lagSeconds! - (Date.now() - stamp(0)) / 1000)).toBeLessThan(3);
  });

  it("takes the timestamp from the consumer's own report of its batch, without a probe", async () => {
    const group = uniqueName("report");
    const { monitor } = monitorFor(group, { probe: false });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The consumer holds its first batch on partition 1 (from offset 0) and takes the others.
    await consume(
      group,
      async (partition) => {
        if (partition === 1) await held;
        return true;
      },
      monitor.reporter(group),
    );
    const g = await waitFor(
      async () => {
        const r = await groupOf(monitor);
        const p1 = r.partitions.find((p) => p.partition === 1)!;
        return p1.lag === perPartition && p1.lagSeconds !== null ? r : undefined;
      },
      20_000,
      "partition 1's age from the reported batch",
    );
    const p1 = g.partitions.find((p) => p.partition === 1)!;
    expect(Math.abs(p1.lagSeconds! - (Date.now() - stamp(0)) / 1000)).toBeLessThan(3);
    release();
    await waitFor(async () => ((await groupOf(monitor)).lag === 0 ? true : undefined), 20_000, "lag 0");
  });

  it("a consumer that keeps starting the same batch without committing is STALL", async () => {
    const group = uniqueName("stall");
    const { monitor } = monitorFor(group);
    const reporter = monitor.reporter(group);
    // Every attempt fails: kafkajs retries the batch, the offset never moves.
    await consume(
      group,
      () => {
        throw new Error("poison");
      },
      reporter,
    );
    monitor.start();
    const stalled = await waitFor(
      async () => {
        const r = monitor.report().groups[0]!;
        return r.verdict === "STALL" ? r : undefined;
      },
      20_000,
      "STALL",
    );
    expect(stalled.partitions.some((p) => p.verdict === "STALL")).toBe(true);
    expect(stalled.lag).toBeGreaterThan(0);
  });

  it("a partition whose committed offset does not move while it has lag fails readiness, naming it, until it moves", async () => {
    const group = uniqueName("stuck");
    const { monitor, metrics } = monitorFor(group, { stuckAfterMs: 1500 });
    let held = true;
    // Partition 1 is held at offset 5 (a message its consumer cannot get past); the others flow.
    await consume(group, (partition, offset) => !(held && partition === 1 && offset >= 5));
    monitor.start();
    const stuck = await waitFor(
      async () => {
        const r = monitor.readiness();
        return r.ready ? undefined : r;
      },
      20_000,
      "readiness to fail",
    );
    expect(stuck.detail).toMatchObject({
      stuck: [{ group, topic, partition: 1, committed: 5, lag: perPartition - 5 }],
    });
    const gauge = await metrics.consumerPartitionStuck.get();
    const p1 = gauge.values.find((v) => v.labels.partition === "1");
    expect(p1?.value).toBeGreaterThanOrEqual(1.5);
    expect(gauge.values.filter((v) => v.labels.partition !== "1").every((v) => v.value === 0)).toBe(true);
    held = false;
    await waitFor(async () => monitor.readiness().ready, 20_000, "readiness to recover");
  });
});
