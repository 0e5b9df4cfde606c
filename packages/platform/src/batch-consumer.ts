import { activity } from "@eventscope/contracts";
import type { ConsumedBatch, Kafka, KafkaMessage } from "./kafka/types.ts";
import type { LagReporter } from "./lag-monitor.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import { commonSettings, readConfig } from "./config.ts";
import { isRetriable } from "./retriable.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** 100 ms doubling to 5 s, with jitter so that partitions do not retry in step. */
const backoffMs = (attempt: number) =>
  Math.round(Math.min(5000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));

export interface BatchConsumerOptions {
  kafka: Kafka;
  logger: Logger;
  metrics: Metrics;
  groupId: string;
  topic: string;
  partitionsConcurrently: number;
  /** Most messages handed to `handle` at once; a larger fetched batch is cut into chunks. */
  maxChunk?: number;
  /** Default KAFKA_COMMIT_INTERVAL_MS (see config.ts and GroupConsumerOptions). */
  commitIntervalMs?: number;
  /** Default KAFKA_FETCH_LINGER_MS (see config.ts and GroupConsumerOptions). */
  fetchLingerMs?: number;
  /** Told of each batch started, for the consumer-lag monitor. */
  lag?: LagReporter | undefined;
  /** Called when this member (re)joins the group: partitions may have moved, caches go stale. */
  onRebalance?: () => void;
  /**
   * Processes what one fetch brought: the messages of one or several partitions (each message
   * names its own), each partition's in offset order. Returning commits past them. A retriable
   * error (see retriable.ts) has the chunk handled again after a backoff; any other
   * has the client redeliver it (the consumer restarts from the last committed offset). A message
   * that can never be processed is the handler's to park or reject, never to throw.
   */
  handle(messages: KafkaMessage[]): Promise<void>;
}

export interface BatchConsumer {
  start: () => Promise<void>;
  stop: () => Promise<void>;
  running: () => boolean;
}

/**
 * A consumer in batch mode that every consuming service shares, whichever client reads: offsets
 * are resolved only after a chunk was handled, a crashed member is noticed within the session
 * timeout, and a failing chunk is counted, logged and redelivered.
 *
 * The client hands over one batch per partition; the batches it hands over together (the
 * partitions of one fetch response) are handled as one: one call of `handle`, so one transaction
 * and one round of statements for the fetch rather than one per partition. At 200 events/s over
 * the stack's six partitions (20 ms fetch linger) the event store's appends held 1.9 events each
 * with one call per partition and 2.9 with the partitions together. Each partition's records keep
 * their order; a failure fails them all.
 */
export function createBatchConsumer(options: BatchConsumerOptions): BatchConsumer {
  const { logger, metrics, groupId, topic } = options;
  const maxChunk = options.maxChunk ?? Number.MAX_SAFE_INTEGER;
  const consumer = options.kafka.groupConsumer({
    groupId,
    topic,
    partitionsConcurrently: options.partitionsConcurrently,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1000,
    // The broker answers a fetch as soon as a record is there (min bytes 1): the wait only bounds
    // how often an idle consumer asks again (twice a second instead of ten times).
    maxWaitMs: 500,
    maxBytesPerPartition: 1024 * 1024,
    commitIntervalMs:
      options.commitIntervalMs ??
      readConfig({ commitIntervalMs: commonSettings.kafkaCommitIntervalMs }).commitIntervalMs,
    fetchLingerMs:
      options.fetchLingerMs ?? readConfig({ fetchLingerMs: commonSettings.kafkaFetchLingerMs }).fetchLingerMs,
    onRebalance: options.onRebalance,
    onCrash: (error) => logger.error({ err: error, topic }, "consumer crashed; restarting"),
  });
  let running = false;

  /** The batches handed over in the same turn of the event loop, waiting to be handled together. */
  let gathered: { batch: ConsumedBatch; done: () => void; failed: (error: unknown) => void }[] = [];
  const gather = (batch: ConsumedBatch) =>
    new Promise<void>((done, failed) => {
      gathered.push({ batch, done, failed });
      if (gathered.length === 1)
        queueMicrotask(() => {
          const group = gathered;
          gathered = [];
          handleTogether(group.map((g) => g.batch)).then(
            () => group.forEach((g) => g.done()),
            (error: unknown) => group.forEach((g) => g.failed(error)),
          );
        });
    });

  async function handleTogether(batches: ConsumedBatch[]): Promise<void> {
    for (const b of batches) options.lag?.batchStarted(b.topic, b.partition, b.messages[0]);
    const live = () => batches.every((b) => b.isRunning() && !b.isStale());
    const messages = batches.flatMap((b) => b.messages);
    const partitions = batches.map((b) => b.partition).join(",");
    for (let i = 0; i < messages.length; i += maxChunk) {
      if (!live()) return;
      const chunk = messages.slice(i, i + maxChunk);
      for (let attempt = 1; ; attempt++) {
        try {
          await options.handle(chunk);
          break;
        } catch (error) {
          const retriable = isRetriable(error);
          metrics.consumeErrors.inc({
            topic,
            group: groupId,
            reason: retriable ? "transient" : (error as Error).name || "error",
          });
          // A transient error is waited out here, on these partitions alone: rejoining the
          // group would stall every other partition too. Anything else fails loudly.
          if (!retriable || !live()) {
            logger.error({ err: error, partitions }, "batch failed; it will be redelivered");
            throw error;
          }
          const delayMs = backoffMs(attempt);
          logger.warn({ err: error, partitions, attempt, delayMs }, "transient error; retrying the batch");
          await sleep(delayMs);
          await batches[0]!.heartbeat();
          if (!live()) return;
        }
      }
      // Past the chunk's last record of each partition it holds.
      const last = new Map<number, string>();
      for (const m of chunk) last.set(m.partition, m.offset);
      for (const b of batches) {
        const offset = last.get(b.partition);
        if (offset !== undefined) await b.commit(offset);
      }
      await batches[0]!.heartbeat();
    }
  }

  return {
    async start() {
      await consumer.run(gather);
      running = true;
    },
    running: () => running,
    async stop() {
      running = false;
      await consumer.stop();
    },
  };
}

/** Bounded label value for an event type: free-form user-activity types fold into one. */
export const eventTypeLabel = (event: { aggregateType: string; eventType: string }): string =>
  event.aggregateType === activity.aggregateType ? "user_activity" : event.eventType;
