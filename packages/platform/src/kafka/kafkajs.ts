// The kafkajs adapter (kafkajs 2.2.4, the design card's client): one request in flight for an
// idempotent producer and no linger, eachBatch consumers with offsets resolved by hand.
import kafkajs, { type Admin as KafkajsAdmin, type Kafka as KafkajsClient } from "kafkajs";
import { createKafkajsProbe } from "./kafkajs-probe.ts";
import { filterKafkajsTimerWarnings } from "./kafkajs-warnings.ts";
import type { GroupConsumer, Kafka, KafkaAdmin, KafkaMessage, KafkaOptions, RecordSender } from "./types.ts";

const { Kafka: KafkaClient, logLevel, CompressionTypes, Partitioners } = kafkajs;

/** A bare kafkajs client whose own logs go through pino (for code that needs kafkajs itself). */
export function createKafkajsClient(options: KafkaOptions): KafkajsClient {
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

export function createKafkajs(options: KafkaOptions): Kafka {
  const kafka = createKafkajsClient(options);
  return {
    client: "kafkajs",
    brokers: options.brokers,
    sender: () => sender(kafka),
    groupConsumer(o): GroupConsumer {
      const consumer = kafka.consumer({
        groupId: o.groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: o.sessionTimeoutMs,
        heartbeatInterval: o.heartbeatIntervalMs,
        maxWaitTimeInMs: o.maxWaitMs,
        maxBytesPerPartition: o.maxBytesPerPartition,
        retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
      });
      if (o.onRebalance) consumer.on(consumer.events.GROUP_JOIN, o.onRebalance);
      consumer.on(consumer.events.CRASH, (e) => o.onCrash?.(e.payload.error));
      return {
        async run(eachBatch) {
          await consumer.connect();
          await consumer.subscribe({ topic: o.topic, fromBeginning: true });
          await consumer.run({
            partitionsConsumedConcurrently: o.partitionsConcurrently,
            eachBatchAutoResolve: false,
            // autoCommit without an interval or a threshold: commitOffsetsIfNecessary commits at once.
            eachBatch: async (payload) => {
              const { batch } = payload;
              if (batch.messages.length === 0) return;
              await eachBatch({
                topic: batch.topic,
                partition: batch.partition,
                messages: batch.messages.map((m) => ({
                  ...(m as Omit<KafkaMessage, "partition">),
                  partition: batch.partition,
                })),
                isRunning: () => payload.isRunning(),
                isStale: () => payload.isStale(),
                heartbeat: () => payload.heartbeat(),
                async commit(offset) {
                  if (payload.isStale()) return;
                  payload.resolveOffset(offset);
                  await payload.commitOffsetsIfNecessary();
                },
              });
            },
          });
        },
        stop: () => consumer.disconnect(),
      };
    },
    admin: () => admin(kafka.admin()),
    lagProbe: (o) => createKafkajsProbe(kafka, o),
  };
}

function sender(kafka: KafkajsClient): RecordSender {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // murmur2, as the Java client: a key lands on the same partition whoever produced it.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let isConnected = false;
  producer.on(producer.events.CONNECT, () => (isConnected = true));
  producer.on(producer.events.DISCONNECT, () => (isConnected = false));
  return {
    async connect() {
      await producer.connect();
      isConnected = true;
    },
    connected: () => isConnected,
    async send(batches, timeoutMs) {
      await producer.sendBatch({
        acks: -1,
        timeout: timeoutMs,
        compression: CompressionTypes.None,
        topicMessages: batches.map((b) => ({ topic: b.topic, messages: b.records })),
      });
    },
    disconnect: () => producer.disconnect(),
  };
}

function admin(a: KafkajsAdmin): KafkaAdmin {
  const self: KafkaAdmin = {
    connect: () => a.connect(),
    disconnect: () => a.disconnect(),
    async createTopics(topics) {
      try {
        return await a.createTopics({ topics, waitForLeaders: true });
      } catch (error) {
        // Created, but the broker's metadata lags behind for a moment: wait for the leaders here.
        if ((error as { type?: string }).type !== "UNKNOWN_TOPIC_OR_PARTITION") throw error;
        for (let i = 0; i < 50; i++) {
          await new Promise((r) => setTimeout(r, 100));
          const ok = await self.describeTopics(topics.map((t) => t.topic)).then(
            (d) => d.length === topics.length && d.every((t) => t.partitions.every((p) => p.leader >= 0)),
            () => false,
          );
          if (ok) break;
        }
        return true;
      }
    },
    async describeTopics(topics) {
      const { topics: described } = await a.fetchTopicMetadata({ topics });
      return described.map((t) => ({
        name: t.name,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionId, leader: p.leader }))
          .sort((x, y) => x.partition - y.partition),
      }));
    },
    deleteTopics: (topics) => a.deleteTopics({ topics }),
    async fetchTopicOffsets(topic) {
      const offsets = await a.fetchTopicOffsets(topic);
      return offsets
        .map(({ partition, low, high }) => ({ partition, low, high }))
        .sort((x, y) => x.partition - y.partition);
    },
    async fetchOffsets({ groupId, topics }) {
      const list = await a.fetchOffsets({ groupId, topics });
      return list.map((t) => ({
        topic: t.topic,
        partitions: t.partitions
          .map(({ partition, offset }) => ({ partition, offset }))
          .sort((x, y) => x.partition - y.partition),
      }));
    },
    async fetchTopicOffsetsByTimestamp(topic, timestamp) {
      const list = await a.fetchTopicOffsetsByTimestamp(topic, timestamp);
      return list
        .map(({ partition, offset }) => ({ partition, offset }))
        .sort((x, y) => x.partition - y.partition);
    },
  };
  return self;
}
