import { randomBytes } from "node:crypto";
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { LagProbe, LagProbeOptions, TimestampAt } from "./types.ts";

/**
 * The lag probe on kafkajs: it has no manual assignment, so the probe is a consumer in a group of
 * its own (one member: it is assigned every partition), never committing (autoCommit off:
 * kafkajs then seeks locally instead of committing the sought offset), with every partition
 * paused. A read is: seek the partition to the offset, resume it, take the first message of the
 * batch that arrives (kafkajs drops what precedes the fetch offset in a record batch), pause it
 * again. A small maxBytesPerPartition keeps each read to about one record batch. The group id is
 * unique per process, so that two instances of a service each get every partition; a group that
 * never committed leaves nothing behind in Kafka once its member leaves.
 */
interface Pending {
  offset: number;
  waiters: ((value: TimestampAt | undefined) => void)[];
  timer: NodeJS.Timeout;
}

export function createKafkajsProbe(kafka: Kafka, options: LagProbeOptions): LagProbe {
  const { topic, logger } = options;
  const groupId = `${options.groupPrefix}.lag-probe.${process.pid}-${randomBytes(3).toString("hex")}`;
  const pending = new Map<number, Pending>();
  let consumer: Consumer | undefined;
  let starting: Promise<Consumer | undefined> | undefined;
  let stopped = false;

  const settle = (partition: number, value: TimestampAt | undefined) => {
    const p = pending.get(partition);
    if (!p) return;
    pending.delete(partition);
    clearTimeout(p.timer);
    for (const w of p.waiters) w(value);
  };

  const pausePartition = (partition: number) => {
    try {
      consumer?.pause([{ topic, partitions: [partition] }]);
    } catch {
      // not running (stopping): nothing to pause
    }
  };

  async function eachBatch({ batch }: EachBatchPayload): Promise<void> {
    const first = batch.messages[0];
    pausePartition(batch.partition);
    if (!first) return;
    const offset = Number(first.offset);
    const timestamp = Number(first.timestamp);
    options.onTimestamp?.(batch.partition, offset, timestamp);
    const p = pending.get(batch.partition);
    if (p && offset >= p.offset) settle(batch.partition, { offset, timestamp });
  }

  async function start(): Promise<Consumer | undefined> {
    const c = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 3000,
      maxWaitTimeInMs: 100,
      minBytes: 1,
      maxBytesPerPartition: 1024,
      maxBytes: 64 * 1024,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    // Joined: hold every partition until one is asked for.
    c.pause([{ topic }]);
    if (stopped) {
      await c.disconnect();
      return undefined;
    }
    consumer = c;
    logger?.debug({ topic, groupId }, "lag probe joined");
    return c;
  }

  return {
    async timestampAt(partition, offset, timeoutMs) {
      if (stopped) return undefined;
      starting ??= start().catch((error: unknown) => {
        logger?.warn({ err: error, topic }, "lag probe could not start; lag in seconds unknown meanwhile");
        starting = undefined;
        return undefined;
      });
      const c = await starting;
      if (!c || stopped) return undefined;
      const current = pending.get(partition);
      if (current && current.offset === offset) {
        return new Promise((resolve) => current.waiters.push(resolve));
      }
      if (current) settle(partition, undefined);
      return new Promise<TimestampAt | undefined>((resolve) => {
        const timer = setTimeout(() => {
          settle(partition, undefined);
          pausePartition(partition);
        }, timeoutMs);
        timer.unref();
        pending.set(partition, { offset, waiters: [resolve], timer });
        try {
          c.seek({ topic, partition, offset: String(offset) });
          c.resume([{ topic, partitions: [partition] }]);
        } catch (error) {
          logger?.debug({ err: error, partition }, "lag probe could not seek");
          settle(partition, undefined);
        }
      });
    },
    async stop() {
      stopped = true;
      for (const partition of [...pending.keys()]) settle(partition, undefined);
      const c = consumer ?? (await starting?.catch(() => undefined));
      consumer = undefined;
      await c?.disconnect().catch(() => {});
    },
  };
}
