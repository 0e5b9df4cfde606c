// The raw pipeline's Kafka use, straight on @platformatic/kafka (the client KAFKA_CLIENT=platformatic
// picks) with nothing in between: an idempotent acks=all producer that sends what queued up while
// its previous request was in flight (the adaptive linger Eventscope's publisher has), a group
// consumer that hands everything fetched so far to one handler call and commits after it, and the
// lag of a group, read by the benchmark's runner.
import { Consumer, Producer, compatibilityPartitioner, type Admin, type Message } from "@platformatic/kafka";

export interface OutgoingRecord {
  key: Buffer;
  value: Buffer;
}

/** The same producer settings as the platform's adapter: idempotent, acks=all, murmur2 keys. */
export function createProducer(clientId: string, brokers: string[]): Producer {
  return new Producer({
    clientId,
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: -1,
    retries: 5,
    retryDelay: 200,
    autocreateTopics: false,
    partitioner: compatibilityPartitioner,
  });
}

interface Queued {
  record: OutgoingRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * One produce request in flight; every record that arrives meanwhile goes out in the next one.
 * The returned function resolves once the broker acknowledged the record.
 */
export function queuedSender(producer: Producer, topic: string, maxBatch = 2000) {
  const queue: Queued[] = [];
  let inFlight = false;
  const flush = () => {
    if (inFlight || queue.length === 0) return;
    inFlight = true;
    const batch = queue.splice(0, maxBatch);
    producer
      .send({ messages: batch.map((q) => ({ topic, key: q.record.key, value: q.record.value })) })
      .then(
        () => batch.forEach((q) => q.resolve()),
        (error: unknown) => batch.forEach((q) => q.reject(error)),
      )
      .finally(() => {
        inFlight = false;
        flush();
      });
  };
  return (record: OutgoingRecord) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ record, resolve, reject });
      flush();
    });
}

/** A message's offset committed, awaited (the client coalesces a batch's commits into one request). */
const commit = (m: Message) =>
  new Promise<void>((resolve, reject) => {
    void m.commit((error) => (error ? reject(error) : resolve()));
  });

export interface BatchLoop {
  close(): Promise<void>;
}

/**
 * Consumes `topic` in `groupId`: the messages of a fetch (of every partition) pile up while the
 * previous batch is handled, then go to `handle` together, at most `maxBatch` at a time; after
 * it returned, the last offset of each partition in the batch is committed (awaited) before the
 * next batch starts. A handler that throws ends the process: a benchmark does not retry.
 */
export async function consumeInBatches(o: {
  clientId: string;
  brokers: string[];
  groupId: string;
  topic: string;
  maxBatch?: number;
  handle: (messages: Message[]) => Promise<void>;
}): Promise<BatchLoop> {
  const maxBatch = o.maxBatch ?? 5000;
  const highWater = 2 * maxBatch;
  const consumer = new Consumer({
    clientId: o.clientId,
    bootstrapBrokers: o.brokers,
    groupId: o.groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTime: 100,
    maxBytesPerPartition: 1024 * 1024,
    autocreateTopics: false,
  });
  const stream = await consumer.consume({
    topics: [o.topic],
    mode: "committed",
    fallbackMode: "earliest",
    autocommit: false,
  });
  const buffer: Message[] = [];
  let busy = false;
  let scheduled = false;

  const drain = async () => {
    scheduled = false;
    if (busy) return;
    busy = true;
    try {
      while (buffer.length > 0) {
        const batch = buffer.splice(0, maxBatch);
        if (stream.isPaused() && buffer.length < highWater / 2) stream.resume();
        await o.handle(batch);
        const last = new Map<number, Message>();
        for (const m of batch) last.set(m.partition, m);
        await Promise.all([...last.values()].map(commit));
      }
    } catch (error) {
      process.stderr.write(
        `${o.groupId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    } finally {
      busy = false;
    }
  };
  stream.on("data", (m: Message) => {
    buffer.push(m);
    if (buffer.length >= highWater) stream.pause();
    // A fetch's records arrive in one go: the batch is taken once they all are in. While a batch
    // is handled, the loop above takes what arrived meanwhile when it is done.
    if (!scheduled && !busy) {
      scheduled = true;
      setImmediate(() => void drain());
    }
  });
  stream.on("error", (error: unknown) => {
    process.stderr.write(`${o.groupId}: consumer stream: ${String(error)}\n`);
    process.exit(1);
  });
  return {
    async close() {
      await stream.close().catch(() => {});
      await consumer.close(true).catch(() => {});
    },
  };
}

/** Messages of `topic` not yet committed by `groupId`, over every partition (null when unknown). */
export async function groupLag(admin: Admin, groupId: string, topic: string, partitions: number) {
  const indexes = Array.from({ length: partitions }, (_, i) => i);
  const [listed] = await admin.listOffsets({
    topics: [
      { name: topic, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) },
    ],
  });
  const [group] = await admin.listConsumerGroupOffsets({
    groups: [{ groupId, topics: [{ name: topic, partitionIndexes: indexes }] }],
  });
  const committed = new Map(
    (group?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [
      p.partitionIndex,
      p.committedOffset,
    ]),
  );
  let lag = 0n;
  for (const p of listed?.partitions ?? []) {
    const c = committed.get(p.partitionIndex) ?? -1n;
    lag += p.offset - (c < 0n ? 0n : c);
  }
  return Number(lag);
}
