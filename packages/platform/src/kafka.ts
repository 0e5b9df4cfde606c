import kafkajs, { type Kafka, type Message, type Producer, type RecordMetadata } from "kafkajs";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import { publishInDoubt, unavailable } from "./errors.ts";

const { Kafka: KafkaClient, logLevel, CompressionTypes, Partitioners } = kafkajs;
export type { Kafka, Message, Producer, RecordMetadata };
export type { EachBatchPayload, Consumer, KafkaMessage, Admin } from "kafkajs";

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  connectionTimeoutMs?: number;
}

// kafkajs arms timers with negative delays on current Node (harmless, reported upstream); keep
// that one warning out of the logs and let every other process warning through.
let warningFilterInstalled = false;
export function filterKafkajsTimerWarnings(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const listeners = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    for (const listener of listeners) listener(warning);
  });
}

/** A kafkajs client whose own logs go through pino. */
export function createKafka(options: KafkaOptions): Kafka {
  filterKafkajsTimerWarnings();
  const log = options.logger.child({ component: "kafkajs" });
  return new KafkaClient({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.error(rest, message);
        else if (level === logLevel.WARN) log.warn(rest, message);
        else log.debug(rest, message);
      },
  });
}

export interface OutgoingRecord {
  key: string;
  value: Buffer | string;
  headers: Record<string, string>;
}

export interface Publisher {
  connect(): Promise<void>;
  /**
   * Resolves once the broker acknowledged every record (acks=all). Rejects with a retriable 503
   * when the records were never handed to the broker (it is known to be down, or the deadline
   * passed while they were queued), and with a 504 "in doubt" when a request carrying them was
   * under way at the deadline: such a record may still be stored.
   */
  publish(topic: string, records: OutgoingRecord[], eventTypes?: string[]): Promise<void>;
  connected(): boolean;
  queued(): number;
  disconnect(): Promise<void>;
}

interface Pending {
  topic: string;
  records: OutgoingRecord[];
  eventTypes: string[] | undefined;
  resolve: () => void;
  reject: (error: Error) => void;
  settled: boolean;
  /** Handed to a produce request: from here a failure leaves its fate unknown. */
  sent: boolean;
  enqueuedAt: number;
}

export interface PublisherOptions {
  metrics: Metrics;
  logger: Logger;
  /** Upper bound on one publish, after which the caller gets a 503 (never a hang). */
  timeoutMs?: number;
  maxBatchRecords?: number;
}

/**
 * An idempotent, acks=all producer that batches by itself: kafkajs has no linger, so while one
 * request is in flight every record that arrives is queued and goes out in the next request.
 * At low load a record is sent at once; under load batches grow with the round trip.
 */
export function createPublisher(kafka: Kafka, options: PublisherOptions): Publisher {
  const { metrics, logger } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBatch = options.maxBatchRecords ?? 2000;
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // murmur2, as the Java client: a key lands on the same partition whoever produced it.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let isConnected = false;
  let inFlight = false;
  // After a produce request failed, the broker is taken for down: records are refused at once
  // (never sent, an honest 503) while one request at a time probes it; a success closes it again.
  let brokerDown = false;
  let queue: Pending[] = [];
  let queuedRecords = 0;
  producer.on(producer.events.CONNECT, () => (isConnected = true));
  producer.on(producer.events.DISCONNECT, () => (isConnected = false));

  function settle(pending: Pending, error?: Error): void {
    if (pending.settled) return;
    pending.settled = true;
    if (error) pending.reject(error);
    else pending.resolve();
  }

  async function flush(): Promise<void> {
    if (inFlight || queue.length === 0) return;
    inFlight = true;
    const batch: Pending[] = [];
    let count = 0;
    while (queue.length > 0 && (count === 0 || count + (queue[0]?.records.length ?? 0) <= maxBatch)) {
      const next = queue.shift()!;
      count += next.records.length;
      if (!next.settled) batch.push(next);
    }
    queuedRecords -= count;
    if (!isConnected) {
      // Never connected (or disconnected): nothing of this batch can reach the broker.
      for (const p of batch) {
        metrics.publishErrors.inc({ topic: p.topic, reason: "disconnected" }, p.records.length);
        settle(p, unavailable("not connected to Kafka", 1));
      }
      inFlight = false;
      if (queue.length > 0) void flush();
      return;
    }
    for (const p of batch) p.sent = true;
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic) ?? [];
      for (const r of p.records) list.push({ key: r.key, value: r.value, headers: r.headers });
      byTopic.set(p.topic, list);
    }
    const started = performance.now();
    try {
      if (batch.length > 0) {
        await producer.sendBatch({
          acks: -1,
          timeout: timeoutMs,
          compression: CompressionTypes.None,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      }
      const seconds = (performance.now() - started) / 1000;
      for (const p of batch) {
        metrics.publishDuration.observe({ topic: p.topic }, (performance.now() - p.enqueuedAt) / 1000);
        if (p.eventTypes)
          for (const t of p.eventTypes) metrics.eventsPublished.inc({ topic: p.topic, event_type: t });
        else metrics.eventsPublished.inc({ topic: p.topic, event_type: "unknown" }, p.records.length);
        settle(p);
      }
      if (seconds > 1) logger.warn({ seconds, records: count }, "slow produce request");
      if (brokerDown) logger.info("Kafka acknowledges again");
      brokerDown = false;
    } catch (error) {
      if (!brokerDown) logger.warn({ err: error, records: count }, "produce request failed");
      brokerDown = true;
      for (const p of batch) {
        metrics.publishErrors.inc(
          { topic: p.topic, reason: (error as Error).name || "error" },
          p.records.length,
        );
        settle(p, publishInDoubt("the produce request failed; the event may still be stored", 1));
      }
    } finally {
      inFlight = false;
      for (const [topic] of byTopic) metrics.producerQueueSize.set({ topic }, queuedRecords);
      if (queue.length > 0) void flush();
    }
  }

  /** While the broker is taken for down and a probe is under way, the queue is refused at once. */
  function refuseQueued(): void {
    for (const p of queue) {
      if (p.settled) continue;
      metrics.publishErrors.inc({ topic: p.topic, reason: "broker_down" }, p.records.length);
      settle(p, unavailable("Kafka is not acknowledging: the event was not sent", 1));
    }
    queue = [];
    queuedRecords = 0;
  }

  return {
    async connect() {
      await producer.connect();
      isConnected = true;
    },
    connected: () => isConnected,
    queued: () => queuedRecords,
    publish(topic, records, eventTypes) {
      return new Promise<void>((resolve, reject) => {
        const pending: Pending = {
          topic,
          records,
          eventTypes,
          resolve,
          reject,
          settled: false,
          sent: false,
          enqueuedAt: performance.now(),
        };
        queue.push(pending);
        queuedRecords += records.length;
        metrics.producerQueueSize.set({ topic }, queuedRecords);
        const timer = setTimeout(() => {
          metrics.publishErrors.inc({ topic, reason: "timeout" }, records.length);
          settle(
            pending,
            pending.sent
              ? publishInDoubt(
                  `no acknowledgement from Kafka within ${timeoutMs} ms; the event may still be stored`,
                  1,
                )
              : unavailable(`Kafka did not take the event within ${timeoutMs} ms: it was not sent`, 1),
          );
        }, timeoutMs);
        timer.unref();
        const clear = () => clearTimeout(timer);
        pending.resolve = () => (clear(), resolve());
        pending.reject = (e) => (clear(), reject(e));
        if (brokerDown && inFlight) refuseQueued();
        else void flush();
      });
    },
    async disconnect() {
      const deadline = Date.now() + timeoutMs;
      while ((queue.length > 0 || inFlight) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      queue = [];
      await producer.disconnect();
    },
  };
}

/** Header values arrive as Buffers (or arrays of them); reads one as a string. */
export function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined || value === null) return undefined;
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === null) return undefined;
  return Buffer.isBuffer(first)
    ? first.toString()
    : typeof first === "string"
      ? first
      : JSON.stringify(first);
}
