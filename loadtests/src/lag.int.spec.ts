import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { Kafka, logLevel, type Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LagSampler } from "./lag.ts";

// The sampler against the real broker: lag in messages from committed offsets and high
// watermarks, the age bound from its own history, the services' GET /lag preferred for seconds.
const brokers = [process.env.KAFKA_BROKERS ?? "127.0.0.1:9092"];
const id = randomBytes(3).toString("hex");
const topic = `lt_${id}.events.ingest`;
const group = `lt_${id}-group`;
let admin: Admin;
let server: Server;
let lagUrl = "";

beforeAll(async () => {
  const kafka = new Kafka({ clientId: "loadtests-lag-test", brokers, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [
      ...Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `a${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({ partition: 1, value: `b${i}` })),
    ],
  });
  await producer.disconnect();
  await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "4" }] });
  server = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        groups: [{ group, topic, verdict: "WARNING", lag: 11, lagSeconds: 3.5, partitions: [] }],
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  lagUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lag`;
});

afterAll(async () => {
  server?.close();
  await admin?.deleteGroups([group]).catch(() => undefined);
  await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin?.disconnect();
});

describe("LagSampler", () => {
  it("counts the messages a group has not committed, per partition (uncommitted = all)", async () => {
    const sampler = new LagSampler([{ group, topic }], brokers);
    await sampler.start(60_000);
    const first = sampler.latest()!;
    expect(first.source).toBe("kafka-admin");
    expect(first.groups[0]).toMatchObject({ group, topic, lag: 6 + 5, high: 15, committed: 4 });
    // Already in the log when the sampler started: the age bound grows with the clock.
    await new Promise((r) => setTimeout(r, 1100));
    const later = (await sampler.sample())!;
    expect(later.groups[0]!.lagSeconds).toBeGreaterThanOrEqual(1);
    await sampler.stop();
  });

  it("takes the age and the verdict from the service's GET /lag when it answers", async () => {
    const sampler = new LagSampler([{ group, topic, lagUrl }], brokers);
    await sampler.start(60_000);
    const s = sampler.latest()!;
    expect(s.source).toBe("lag-endpoint");
    expect(s.groups[0]).toMatchObject({ lag: 11, lagSeconds: 3.5, verdict: "WARNING" });
    await sampler.stop();
  });

  it("resolves when every group has drained", async () => {
    const sampler = new LagSampler([{ group, topic }], brokers);
    await sampler.start(200);
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: [
        { partition: 0, offset: "10" },
        { partition: 1, offset: "5" },
      ],
    });
    const drainedAt = await sampler.waitDrained(10_000);
    expect(drainedAt).not.toBeNull();
    expect(sampler.latest()!.groups[0]!.lagSeconds).toBe(0);
    await sampler.stop();
  });
});
