import type { Kafka, KafkaMessage } from "kafkajs";
import type { LagReporter } from "./lag-monitor.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
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
  /** Told of each batch started, for the consumer-lag monitor. */
  lag?: LagReporter | undefined;
  /** Called when this member (re)joins the group: partitions may have moved, caches go stale. */
  onRebalance?: () => void;
  /**
   * Processes messages of one partition, in order. Returning commits past them. A retriable
   * error (see retriable.ts) has the chunk handled again after a backoff; any other
   * has kafkajs redeliver it (the consumer restarts from the last committed offset). A message
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
 * A kafkajs consumer in batch mode that every consuming service shares: offsets are resolved
 * only after a chunk was handled, a crashed member is noticed within the session timeout, and a
 * failing chunk is counted, logged and redelivered.
 */
export function createBatchConsumer(options: BatchConsumerOptions): BatchConsumer {
  const { logger, metrics, groupId, topic } = options;
  const maxChunk = options.maxChunk ?? Number.MAX_SAFE_INTEGER;
  const consumer = options.kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    // A crashed member is noticed within this time and its partitions handed over.
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 1024 * 1024,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
  });
  let running = false;
  if (options.onRebalance) consumer.on(consumer.events.GROUP_JOIN, options.onRebalance);
  consumer.on(consumer.events.CRASH, (e) =>
    logger.error({ err: e.payload.error, topic }, "consumer crashed; restarting"),
  );

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: options.partitionsConcurrently,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          if (batch.messages.length === 0) return;
          options.lag?.batchStarted(batch.topic, batch.partition, batch.messages[0]);
          for (let i = 0; i < batch.messages.length; i += maxChunk) {
            if (!payload.isRunning() || payload.isStale()) return;
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
                if (!retriable || !payload.isRunning() || payload.isStale()) {
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
                await payload.heartbeat();
                if (!payload.isRunning() || payload.isStale()) return;
              }
            }
            payload.resolveOffset(chunk.at(-1)!.offset);
            await payload.heartbeat();
          }
        },
      });
      running = true;
    },
    running: () => running,
    async stop() {
      running = false;
      await consumer.disconnect();
    },
  };
}

/** Bounded label value for an event type: free-form user-activity types fold into one. */
export const eventTypeLabel = (event: { aggregateType: string; eventType: string }): string =>
  event.aggregateType === "User" ? "user_activity" : event.eventType;
