// The publisher's batching on the real broker: records that arrive while a produce request is in
// flight share the next one, and with a linger a record that finds none in flight waits for others.
import { afterAll, describe, expect, it } from "vitest";
import { brokers, uniqueName } from "@eventscope/testkit";
import { createKafka, createPublisher, type Publisher } from "./kafka.ts";
import type { Kafka, OutgoingRecord } from "./kafka/types.ts";
import { createLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";

const logger = createLogger({ service: "publisher-batching", level: "silent" });
const kafka = await createKafka({
  brokers,
  clientId: "publisher-batching",
  logger,
  connectionTimeoutMs: 1000,
});
const topic = uniqueName("publisher_batching");
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** The client, with the produce requests its sender makes counted (records per request). */
function counted(base: Kafka): { kafka: Kafka; requests: number[] } {
  const requests: number[] = [];
  return {
    requests,
    kafka: {
      ...base,
      sender: () => {
        const sender = base.sender();
        return {
          connect: () => sender.connect(),
          connected: () => sender.connected(),
          disconnect: () => sender.disconnect(),
          send: (batches, timeoutMs) => {
            requests.push(batches.reduce((n, b) => n + b.records.length, 0));
            return sender.send(batches, timeoutMs);
          },
        };
      },
    },
  };
}

async function publisherWith(lingerMs: number): Promise<{ publisher: Publisher; requests: number[] }> {
  const { kafka: client, requests } = counted(kafka);
  const publisher = createPublisher(client, { metrics: createMetrics("batching"), logger, lingerMs });
  await publisher.connect();
  cleanups.push(() => publisher.disconnect());
  return { publisher, requests };
}

const record = (n: number): OutgoingRecord => ({ key: `k${n}`, value: JSON.stringify({ n }), headers: {} });

describe("the publisher's produce requests", () => {
  it("sends a record at once without a linger, and what arrives meanwhile in the next request", async () => {
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    expect(await admin.createTopics([{ topic, numPartitions: 2 }])).toBe(true);
    cleanups.push(() => admin.deleteTopics([topic]));

    const { publisher, requests } = await publisherWith(0);
    await Promise.all([0, 1, 2].map((n) => publisher.publish(topic, [record(n)])));
    expect(requests).toEqual([1, 2]);
  });

  it("with a linger, records published within it share one produce request", async () => {
    const { publisher, requests } = await publisherWith(50);
    const started = performance.now();
    await Promise.all([0, 1, 2].map((n) => publisher.publish(topic, [record(n), record(n + 10)])));
    expect(requests).toEqual([6]);
    // The first record waited for the linger before it was sent.
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });
});
