import { activity } from "@eventscope/contracts";
import type { Kafka, KafkaMessage } from "./kafka/types.ts";
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
  /** Told of each batch started, for the consumer-lag monitor. */
  lag?: LagReporter | undefined;
  /** Called when this member (re)joins the group: partitions may have moved, caches go stale. */
  onRebalance?: () => void;
  /**
   * Processes messages of one partition, in order. Returning commits past them. A retriable
   * error (see retriable.ts) has the chunk handled again after a backoff; any other
   * has the client redeliver it (the consumer restarts from the last committed offset). A message
   * that can never be processed is the handler's to park or reject, never to throw.
   */
  handle(partition: number, messages: KafkaMessage[]): Promise<void>;
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
    onRebalance: options.onRebalance,
    onCrash: (error) => logger.error({ err: error, topic }, "consumer crashed; restarting"),
  });
  let running = false;

  return {
    async start() {
      await consumer.run(async (batch) => {
        options.lag?.batchStarted(batch.topic, batch.partition, batch.messages[0]);
        for (let i = 0; i < batch.messages.length; i += maxChunk) {
          if (!batch.isRunning() || batch.isStale()) return;
          const chunk = batch.messages.slice(i, i + maxChunk);
          for (let attempt = 1; ; attempt++) {
            try {
              await options.handle(batch.partition, chunk);
              break;
            } catch (error) {
              const retriable = isRetriable(error);
              metrics.consumeErrors.inc({
                topic,
                group: groupId,
                reason: retriable ? "transient" : (error as Error).name || "error",
              });
              // A transient error is waited out here, on this partition alone: rejoining the
              // group would stall every other partition too. Anything else fails loudly.
              if (!retriable || !batch.isRunning() || batch.isStale()) {
                logger.error(
                  { err: error, partition: batch.partition },
                  "batch failed; it will be redelivered",
                );
                throw error;
              }
              const delayMs = backoffMs(attempt);
              logger.warn(
                { err: error, partition: batch.partition, attempt, delayMs },
                "transient error; retrying the batch",
              );
              await sleep(delayMs);
              await batch.heartbeat();
              if (!batch.isRunning() || batch.isStale()) return;
            }
          }
          await batch.commit(chunk.at(-1)!.offset);
          await batch.heartbeat();
        }
      });
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
