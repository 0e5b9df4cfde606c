// The platform's Kafka entry points: `createKafka` (the client chosen by KAFKA_CLIENT) and the
// publisher every producing service shares. The client-specific code lives in kafka/, and each
// client library is imported only by a process that uses it (the gateway, whose console reads
// Kafka through kafkajs, held 8-14 MiB less without @platformatic/kafka: bench/README.md, "Loaded
// on use"). Code that needs kafkajs itself imports `@eventscope/platform/kafkajs`.
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import { commonSettings, readConfig } from "./config.ts";
import { PublishError, type Kafka, type KafkaOptions, type OutgoingRecord } from "./kafka/types.ts";

const notSent = (message: string, retryAfterSeconds: number) =>
  new PublishError(message, "not-sent", retryAfterSeconds);
const inDoubt = (message: string, retryAfterSeconds: number) =>
  new PublishError(message, "in-doubt", retryAfterSeconds);

export type * from "./kafka/types.ts";
export { kafkaClientNames, PublishError } from "./kafka/types.ts";
export { filterKafkajsTimerWarnings } from "./kafka/kafkajs-warnings.ts";

/** A Kafka client: `options.client`, else KAFKA_CLIENT, else the default (see config.ts). */
export async function createKafka(options: KafkaOptions): Promise<Kafka> {
  const client = options.client ?? readConfig({ kafkaClient: commonSettings.kafkaClient }).kafkaClient;
  options.logger.info({ client, brokers: options.brokers }, "Kafka client");
  if (client === "platformatic") return (await import("./kafka/platformatic.ts")).createPlatformatic(options);
  return (await import("./kafka/kafkajs.ts")).createKafkajs(options);
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
  /**
   * How long a record that finds no request in flight waits for others to share its produce
   * request; 0 (the default) sends it at once.
   */
  lingerMs?: number;
}

/**
 * An idempotent, acks=all publisher that batches by itself, whichever client sends: while one
 * produce request is in flight every record that arrives is queued and goes out in the next
 * request (a linger that adapts to the round trip: neither client lingers on a plain send). At
 * low load a record is sent at once (or after `lingerMs`); under load batches grow with the round
 * trip.
 */
export function createPublisher(kafka: Kafka, options: PublisherOptions): Publisher {
  const { metrics, logger } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBatch = options.maxBatchRecords ?? 2000;
  const lingerMs = options.lingerMs ?? 0;
  let lingering: NodeJS.Timeout | undefined;
  const producer = kafka.sender();
  let inFlight = false;
  // After a produce request failed, the broker is taken for down: records are refused at once
  // (never sent, an honest 503) while one request at a time probes it; a success closes it again.
  let brokerDown = false;
  let queue: Pending[] = [];
  let queuedRecords = 0;

  function settle(pending: Pending, error?: Error): void {
    if (pending.settled) return;
    pending.settled = true;
    if (error) pending.reject(error);
    else pending.resolve();
  }

  async function flush(): Promise<void> {
    if (inFlight || queue.length === 0) return;
    if (lingering) clearTimeout(lingering);
    lingering = undefined;
    inFlight = true;
    const batch: Pending[] = [];
    let count = 0;
    while (queue.length > 0 && (count === 0 || count + (queue[0]?.records.length ?? 0) <= maxBatch)) {
      const next = queue.shift()!;
      count += next.records.length;
      if (!next.settled) batch.push(next);
    }
    queuedRecords -= count;
    if (!producer.connected()) {
      // Never connected (or disconnected): nothing of this batch can reach the broker.
      for (const p of batch) {
        metrics.publishErrors.inc({ topic: p.topic, reason: "disconnected" }, p.records.length);
        settle(p, notSent("not connected to Kafka", 1));
      }
      inFlight = false;
      if (queue.length > 0) void flush();
      return;
    }
    for (const p of batch) p.sent = true;
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic) ?? [];
      for (const r of p.records) list.push(r);
      byTopic.set(p.topic, list);
    }
    const started = performance.now();
    try {
      if (batch.length > 0) {
        await producer.send(
          [...byTopic].map(([topic, records]) => ({ topic, records })),
          timeoutMs,
        );
      }
      const acked = performance.now();
      const seconds = (acked - started) / 1000;
      // Counted per topic and type once per produce request, not once per record.
      const published = new Map<string, Map<string, number>>();
      for (const p of batch) {
        metrics.publishDuration.observe({ topic: p.topic }, (acked - p.enqueuedAt) / 1000);
        let types = published.get(p.topic);
        if (!types) published.set(p.topic, (types = new Map()));
        if (p.eventTypes) for (const t of p.eventTypes) types.set(t, (types.get(t) ?? 0) + 1);
        else types.set("unknown", (types.get("unknown") ?? 0) + p.records.length);
        settle(p);
      }
      for (const [topic, types] of published)
        for (const [type, n] of types) metrics.eventsPublished.inc({ topic, event_type: type }, n);
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
        settle(p, inDoubt("the produce request failed; the event may still be stored", 1));
      }
    } finally {
      inFlight = false;
      for (const [topic] of byTopic) metrics.producerQueueSize.set({ topic }, queuedRecords);
      if (queue.length > 0) void flush();
    }
  }

  /** Sends now, or after the linger; a request in flight takes the queue when it is acknowledged. */
  function schedule(): void {
    if (inFlight || lingering) {
      if (lingering && queuedRecords >= maxBatch) void flush();
      return;
    }
    if (lingerMs <= 0) void flush();
    else lingering = setTimeout(() => void flush(), lingerMs);
  }

  /** While the broker is taken for down and a probe is under way, the queue is refused at once. */
  function refuseQueued(): void {
    for (const p of queue) {
      if (p.settled) continue;
      metrics.publishErrors.inc({ topic: p.topic, reason: "broker_down" }, p.records.length);
      settle(p, notSent("Kafka is not acknowledging: the event was not sent", 1));
    }
    queue = [];
    queuedRecords = 0;
  }

  return {
    connect: () => producer.connect(),
    connected: () => producer.connected(),
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
              ? inDoubt(
                  `no acknowledgement from Kafka within ${timeoutMs} ms; the event may still be stored`,
                  1,
                )
              : notSent(`Kafka did not take the event within ${timeoutMs} ms: it was not sent`, 1),
          );
        }, timeoutMs);
        timer.unref();
        const clear = () => clearTimeout(timer);
        pending.resolve = () => (clear(), resolve());
        pending.reject = (e) => (clear(), reject(e));
        if (brokerDown && inFlight) refuseQueued();
        else schedule();
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
