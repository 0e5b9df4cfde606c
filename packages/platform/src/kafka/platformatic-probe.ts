import { randomBytes } from "node:crypto";
import { Consumer } from "@platformatic/kafka";
import type { LagProbe, LagProbeOptions, TimestampAt } from "./types.ts";

/**
 * The lag probe on @platformatic/kafka: one fetch request at the sought offset to the
 * partition's leader, outside any group (the client can fetch without joining), small enough to
 * hold about one record batch; the broker answers as soon as a record is there or the wait ends.
 * Reads of one partition at the same offset share a request.
 */
export function createPlatformaticProbe(
  base: { clientId: string; bootstrapBrokers: string[]; connectTimeout: number; requestTimeout: number },
  options: LagProbeOptions,
): LagProbe {
  const { topic, logger } = options;
  // A group id is required by the client's constructor; the probe never joins it.
  const consumer = new Consumer({
    ...base,
    groupId: `${options.groupPrefix}.lag-probe.${process.pid}-${randomBytes(3).toString("hex")}`,
    retries: 1,
    retryDelay: 100,
  });
  const reads = new Map<string, Promise<TimestampAt | undefined>>();
  let stopped = false;

  async function read(
    partition: number,
    offset: number,
    timeoutMs: number,
  ): Promise<TimestampAt | undefined> {
    const metadata = await consumer.metadata({ topics: [topic] });
    const t = metadata.topics.get(topic);
    const leader = t?.partitions[partition]?.leader;
    if (!t || leader === undefined || leader < 0) return undefined;
    const response = await consumer.fetch({
      node: leader,
      minBytes: 1,
      maxBytes: 64 * 1024,
      maxWaitTime: Math.max(10, timeoutMs - 20),
      topics: [
        {
          topicId: t.id,
          partitions: [
            {
              partition,
              fetchOffset: BigInt(offset),
              partitionMaxBytes: 1024,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
    });
    for (const p of response.responses[0]?.partitions ?? []) {
      for (const batch of p.records ?? []) {
        for (const record of batch.records) {
          const at = Number(batch.firstOffset) + record.offsetDelta;
          if (at < offset) continue;
          const timestamp = Number(batch.firstTimestamp + record.timestampDelta);
          options.onTimestamp?.(partition, at, timestamp);
          return { offset: at, timestamp };
        }
      }
    }
    return undefined;
  }

  return {
    timestampAt(partition, offset, timeoutMs) {
      if (stopped) return Promise.resolve(undefined);
      const key = `${partition}/${offset}`;
      let pending = reads.get(key);
      if (!pending) {
        const deadline = new Promise<undefined>((resolve) =>
          setTimeout(() => resolve(undefined), timeoutMs).unref(),
        );
        pending = Promise.race([
          read(partition, offset, timeoutMs).catch((error: unknown) => {
            logger?.debug({ err: error, topic, partition }, "lag probe could not read");
            return undefined;
          }),
          deadline,
        ]).finally(() => reads.delete(key));
        reads.set(key, pending);
      }
      return pending;
    },
    async stop() {
      stopped = true;
      await consumer.close(true).catch(() => {});
    },
  };
}
