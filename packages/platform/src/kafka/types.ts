// The platform's Kafka use, as one small interface: what the publisher, the batch consumer, the
// lag monitor and its probe need of a client, and nothing else. Two adapters implement it
// (kafkajs.ts, platformatic.ts); `KAFKA_CLIENT` chooses one. Offsets are decimal strings
// everywhere (a double cannot hold every 64-bit offset; the services already read them so).
//
// No client instrumentation (instrumentation-kafkajs, @platformatic/kafka-opentelemetry): both
// make a send span per record and inject it into the record's headers, replacing the traceparent
// of the event's own producer span, and parent the spans of one batched produce request on the
// request that happened to start it; consumed records get process spans linked (kafkajs) or
// unaware of the batch handler. One trace per event needs the hand-made spans (telemetry.ts:
// startConsumerSpan; the producer's in its ingest), which carry the messaging conventions'
// system, destination, operation type, partition, offset and consumer group for either client.
// pino's type, as logger.ts exports it: importing logger.ts would close a cycle through config.ts.
import type { Logger } from "pino";
import { EventscopeError } from "@eventscope/contracts";

export const kafkaClientNames = ["kafkajs", "platformatic"] as const;
export type KafkaClientName = (typeof kafkaClientNames)[number];

/** A header as a client hands it over: bytes, text, a repeated header, or nothing. */
/**
 * Why a publish failed, in Kafka's terms: the records were never sent (`not-sent`), or handed to
 * the broker without an acknowledgement in time (`in-doubt`: they may be stored; a retry with the
 * same ids is safe). Retriable either way; the HTTP layer answers 503 and 504 for them.
 */
export class PublishError extends EventscopeError {
  readonly outcome: "not-sent" | "in-doubt";
  readonly retryAfterSeconds: number;
  constructor(message: string, outcome: "not-sent" | "in-doubt", retryAfterSeconds: number) {
    super(message, {
      code: outcome === "in-doubt" ? "PUBLISH_IN_DOUBT" : "PUBLISH_NOT_SENT",
      retriable: true,
    });
    this.name = "PublishError";
    this.outcome = outcome;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** A consumed record, whichever client read it. */
export interface KafkaMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, HeaderValue>;
  /** The partition the record was read from. */
  partition: number;
  offset: string;
  /** Epoch milliseconds, as a decimal string. */
  timestamp: string;
}

export interface OutgoingRecord {
  key: string;
  value: Buffer | string;
  headers: Record<string, string | Buffer>;
}

export interface TopicRecords {
  topic: string;
  records: OutgoingRecord[];
}

/**
 * One idempotent, acks=all producer. `send` resolves once the broker acknowledged every record
 * of the request, and rejects when it did not (fate unknown: the publisher calls that in doubt).
 */
export interface RecordSender {
  connect(): Promise<void>;
  connected(): boolean;
  send(batches: TopicRecords[], timeoutMs: number): Promise<void>;
  disconnect(): Promise<void>;
}

export interface SenderOptions {
  /** Produce requests under way at once (the client keeps the idempotent order within it). */
  maxInFlight?: number;
}

/** A chunk of one partition's records, handed to the batch handler. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  /** False once the consumer stops. */
  isRunning(): boolean;
  /** True once the partition may have moved to another member (a rebalance since the fetch). */
  isStale(): boolean;
  heartbeat(): Promise<void>;
  /**
   * Commits everything up to and including `offset` as processed; nothing when the batch went
   * stale (its partition may be another member's by now). With a commit interval it resolves
   * once the offset is queued; the commit goes out with the next gathered request (and on stop).
   */
  commit(offset: string): Promise<void>;
}

export interface GroupConsumerOptions {
  groupId: string;
  topic: string;
  /** Partitions handled at the same time (each partition's records stay in order). */
  partitionsConcurrently: number;
  /** A crashed member is noticed within this time and its partitions handed over. */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitMs: number;
  maxBytesPerPartition: number;
  /**
   * Commits are gathered and sent every this many ms, all partitions in one request (0: each
   * commit is sent at once and awaited). Clients that cannot gather commit each chunk.
   */
  commitIntervalMs?: number;
  /**
   * After a fetch brought records, wait this long before fetching again, so that one fetch
   * gathers what arrived meanwhile (0: fetch again at once). Clients that cannot wait ignore it.
   */
  fetchLingerMs?: number;
  /** Called when this member (re)joins the group: partitions may have moved. */
  onRebalance?: (() => void) | undefined;
  /** Told when the client gave up and restarts from the last committed offsets. */
  onCrash?: ((error: unknown) => void) | undefined;
}

/**
 * A group member reading one topic from the beginning (of what its group has not committed).
 * A batch whose handler throws is redelivered from the last committed offset.
 */
export interface GroupConsumer {
  run(eachBatch: (batch: ConsumedBatch) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries?: { name: string; value: string }[];
}

export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

export interface GroupOffsets {
  topic: string;
  /** `offset` is "-1" where the group never committed. */
  partitions: { partition: number; offset: string }[];
}

export interface TopicDescription {
  name: string;
  partitions: { partition: number; leader: number }[];
}

export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Creates the topics that do not exist yet; true when it created any. */
  createTopics(topics: TopicSpec[]): Promise<boolean>;
  describeTopics(topics: string[]): Promise<TopicDescription[]>;
  deleteTopics(topics: string[]): Promise<void>;
  /** Low and high watermarks per partition. */
  fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** A group's committed offsets. */
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<GroupOffsets[]>;
  /** Per partition, the first offset whose timestamp is at or after `timestamp` (the high watermark if none). */
  fetchTopicOffsetsByTimestamp(
    topic: string,
    timestamp: number,
  ): Promise<{ partition: number; offset: string }[]>;
}

/** The message at or after an offset, for the age of the oldest unconsumed message. */
export interface TimestampAt {
  offset: number;
  timestamp: number;
}

export interface LagProbe {
  /** Epoch ms of the first message at or after `offset`; undefined when none came in time. */
  timestampAt(partition: number, offset: number, timeoutMs: number): Promise<TimestampAt | undefined>;
  stop(): Promise<void>;
}

export interface LagProbeOptions {
  topic: string;
  /** Prefix of the probe's group id where the client needs one; a unique suffix is added. */
  groupPrefix: string;
  logger?: Logger | undefined;
  /** Told of every message timestamp read, for the monitor's cache. */
  onTimestamp?: ((partition: number, offset: number, timestamp: number) => void) | undefined;
}

/** A configured client: the factory of everything the platform does with Kafka. */
export interface Kafka {
  readonly client: KafkaClientName;
  readonly brokers: string[];
  sender(options?: SenderOptions): RecordSender;
  groupConsumer(options: GroupConsumerOptions): GroupConsumer;
  admin(): KafkaAdmin;
  lagProbe(options: LagProbeOptions): LagProbe;
}

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  connectionTimeoutMs?: number;
  /** kafkajs or platformatic; KAFKA_CLIENT otherwise (see config.ts). */
  client?: KafkaClientName;
}
