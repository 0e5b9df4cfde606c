// The @platformatic/kafka adapter: the same idempotent acks=all producer, group consumer, admin
// and probe over a maintained client with a far shorter produce-to-consume path.
import { Admin, Consumer, Producer, compatibilityPartitioner, type Message } from "@platformatic/kafka";
import { tracingChannel } from "node:diagnostics_channel";
import { createPlatformaticProbe } from "./platformatic-probe.ts";
import type {
  ConsumedBatch,
  GroupConsumer,
  GroupConsumerOptions,
  Kafka,
  KafkaAdmin,
  KafkaMessage,
  KafkaOptions,
  RecordSender,
  TopicRecords,
} from "./types.ts";
import type { Logger } from "../logger.ts";

type Base = { clientId: string; bootstrapBrokers: string[]; connectTimeout: number; requestTimeout: number };

export function createPlatformatic(options: KafkaOptions): Kafka {
  const log = options.logger.child({ component: "platformatic-kafka" });
  const base = (suffix: string): Base => ({
    clientId: `${options.clientId}${suffix}`,
    bootstrapBrokers: options.brokers,
    connectTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: 10_000,
  });
  return {
    client: "platformatic",
    brokers: options.brokers,
    sender: () => sender(base("")),
    groupConsumer: (o) => groupConsumer(base(""), o, log),
    admin: () => admin(base("-admin")),
    lagProbe: (o) => createPlatformaticProbe(base("-lag-probe"), o),
  };
}

const toBuffer = (v: Buffer | string): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v));

function sender(base: Base): RecordSender {
  const producer = new Producer({
    ...base,
    idempotent: true,
    acks: -1,
    // Bounded: an unreachable broker must fail a request (the publisher answers 503/504), not
    // retry it forever (the client's default for an idempotent producer).
    retries: 5,
    retryDelay: 200,
    autocreateTopics: false,
    // murmur2 masked as the Java client and kafkajs do: a key lands on the same partition whoever produced it.
    partitioner: compatibilityPartitioner,
  });
  // Connected from the first success on, as with kafkajs: a dropped socket (an idle broker
  // closes them) is reconnected by the next request; a broker really down fails that request.
  let isConnected = false;
  return {
    async connect() {
      await producer.initIdempotentProducer({});
      isConnected = true;
    },
    connected: () => isConnected,
    async send(batches: TopicRecords[]) {
      const messages = [];
      for (const { topic, records } of batches) {
        for (const r of records) {
          const headers = new Map<Buffer, Buffer>();
          for (const [k, v] of Object.entries(r.headers)) headers.set(Buffer.from(k), toBuffer(v));
          messages.push({ topic, key: Buffer.from(r.key), value: toBuffer(r.value), headers });
        }
      }
      await producer.send({ messages });
    },
    disconnect: () => producer.close(true),
  };
}

const toMessage = (m: Message): KafkaMessage => {
  const headers: KafkaMessage["headers"] = {};
  for (const [k, v] of m.headers) headers[k.toString()] = v;
  return {
    key: m.key ?? null,
    value: m.value ?? null,
    headers,
    partition: m.partition,
    offset: m.offset.toString(),
    timestamp: m.timestamp.toString(),
  };
};

/**
 * The client publishes each group operation on its diagnostics channel before performing it; a
 * member hears its own joinGroup start there (a heartbeat answered "rebalance in progress", a
 * commit refused by a new generation): no event of the client's comes before such a rejoin.
 */
const joining = new WeakMap<Consumer, () => void>();
// Only the start of an operation is heard: its end, async parts and errors are not needed.
tracingChannel("plt:kafka:consumer:group").start.subscribe((message) => {
  const operation = message as { client?: unknown; operation?: string };
  if (operation.operation === "joinGroup") joining.get(operation.client as Consumer)?.();
});

const generationOf = (m: Message): number | undefined =>
  (m.metadata as { consumer?: { generationId?: number } } | undefined)?.consumer?.generationId;

/**
 * A group member over the client's message stream: records are buffered per partition, each
 * partition handled by one worker at a time (order kept), up to `partitionsConcurrently` at once,
 * and committed once its handler returned. A rebalance makes everything fetched before it stale:
 * it is dropped (the stream fetches again from the committed offsets) and never committed.
 *
 * Commits: with `commitIntervalMs` (the default) the processed offsets of every partition are
 * gathered and sent in one OffsetCommit request per interval, one request at a time, and once
 * more on stop, and at once when the member rejoins its group (the old generation may still
 * commit while the group waits for its members); a chunk in flight then is redelivered (and
 * skipped by the idempotent consumers). At 200 events/s the stack's four groups sent ~114
 * commits a second, one per chunk and partition; gathered every 200 ms they send at most 20.
 * With 0, each chunk's commit is sent at once and awaited before the partition's next chunk.
 */
function groupConsumer(base: Base, o: GroupConsumerOptions, log: Logger): GroupConsumer {
  const consumer = new Consumer({
    ...base,
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    maxWaitTime: o.maxWaitMs,
    maxBytesPerPartition: o.maxBytesPerPartition,
    autocreateTopics: false,
    retries: 10,
    retryDelay: 200,
  });
  const highWater = 5000;
  let running = false;
  let stream: Awaited<ReturnType<Consumer["consume"]>> | undefined;
  let eachBatch: ((batch: ConsumedBatch) => Promise<void>) | undefined;
  let buffers = new Map<number, Message[]>();
  const ready: number[] = [];
  const active = new Set<number>();
  let buffered = 0;
  let epoch = 0;
  let restarting: Promise<void> | undefined;
  const idle: (() => void)[] = [];
  let scheduled = false;
  const lingerMs = o.fetchLingerMs ?? 0;
  const held = new Set<"full" | "linger">();
  const commitEvery = o.commitIntervalMs ?? 0;
  // Processed offsets not yet sent, per partition (of the current generation only).
  let toCommit = new Map<number, { offset: bigint; leaderEpoch: number }>();
  let commitTimer: NodeJS.Timeout | undefined;
  let committing: Promise<void> | undefined;

  // The offsets of commit requests not yet answered. The client answers a commit refused by a
  // rebalance by rejoining and sending the same request again under the new generation, for
  // partitions that may be another member's by then: their committed offsets went back and were
  // processed anew (60 records twice in the contract test's rebalance). A join empties them: a
  // generation's offsets are never committed under another (they are redelivered instead).
  type Offset = { topic: string; partition: number; offset: bigint; leaderEpoch: number };
  const unanswered = new Set<Offset[]>();
  async function send(offsets: Offset[]): Promise<void> {
    const sentIn = epoch;
    unanswered.add(offsets);
    try {
      await consumer.commit({ offsets });
    } catch (error) {
      // A rebalance under way (the offsets are redelivered to whoever owns the partitions) or
      // a broker that went away: the next commit carries newer offsets anyway.
      if (running && sentIn === epoch)
        log.warn({ err: error, topic: o.topic }, "offset commit failed; a later one covers it");
    } finally {
      unanswered.delete(offsets);
    }
  }

  /** The gathered offsets, to be sent. */
  function taken(): Offset[] {
    const offsets = [...toCommit].map(([partition, c]) => ({ topic: o.topic, partition, ...c }));
    toCommit = new Map();
    return offsets;
  }

  /** Sends the gathered offsets in one request; one request at a time. */
  async function flushCommits(): Promise<void> {
    while (committing) await committing;
    if (toCommit.size === 0) return;
    committing = send(taken()).finally(() => (committing = undefined));
    await committing;
  }

  function queueCommit(m: Message): void {
    const at = toCommit.get(m.partition);
    if (!at || at.offset <= m.offset)
      toCommit.set(m.partition, { offset: m.offset + 1n, leaderEpoch: m.leaderEpoch });
    scheduleCommit();
  }

  /** One flush per interval; while the member is (re)joining the group it waits for the next. */
  function scheduleCommit(): void {
    commitTimer ??= setTimeout(() => {
      commitTimer = undefined;
      if (!running || toCommit.size === 0) return;
      if (consumer.isActive()) void flushCommits();
      else scheduleCommit();
    }, commitEvery);
  }

  /** Forgets everything fetched so far: the stream fetches again from the committed offsets. */
  const forget = () => {
    epoch++;
    toCommit = new Map();
    buffers = new Map();
    ready.length = 0;
    buffered = 0;
    release("full");
  };
  // When a join starts (a heartbeat answered "rebalance in progress"), what was processed is sent
  // at once: the old generation may still commit while the group waits for its members. Records
  // keep flowing until the new assignment (a version that dropped them there lost 3 events from the
  // read model in the projection fault test: likely a fetch answered after the join went on from
  // where the dropped ones ended, and its offsets were committed).
  joining.set(consumer, () => {
    if (!running || toCommit.size === 0) return;
    clearTimeout(commitTimer);
    commitTimer = undefined;
    // Sent at once, behind any commit in flight on the coordinator's connection.
    void send(taken());
  });
  // The partitions of this generation: a fetch sent before a join may be answered after it, its
  // records stamped with the new generation, for partitions that are another member's now.
  let assigned = new Set<number>();
  consumer.on("consumer:group:join", () => {
    for (const offsets of unanswered) offsets.length = 0;
    assigned = new Set(consumer.assignments?.find((a) => a.topic === o.topic)?.partitions ?? []);
    forget();
    o.onRebalance?.();
  });

  const fresh = (m: Message) => {
    const g = generationOf(m);
    return g === undefined || g === consumer.generationId;
  };

  function onData(m: Message): void {
    if (!assigned.has(m.partition) || !fresh(m)) return;
    let list = buffers.get(m.partition);
    if (!list) buffers.set(m.partition, (list = []));
    list.push(m);
    buffered++;
    if (!active.has(m.partition) && !ready.includes(m.partition)) ready.push(m.partition);
    if (buffered >= highWater) hold("full");
    // The client pushes a response's records, then asks for its next fetch on process.nextTick:
    // a pause queued from its first record comes first, so that next fetch waits out the linger.
    if (lingerMs > 0 && !held.has("linger")) {
      held.add("linger");
      process.nextTick(() => held.has("linger") && hold("linger"));
      setTimeout(() => release("linger"), lingerMs).unref();
    }
    // A partition is handed to its worker once the whole response is in, not with its first
    // record (which made that record a batch of its own: 47 % of the store's appends at 200/s).
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        schedule();
      });
    }
  }

  /**
   * Why the stream is paused: its buffer is full, or it lingers after a response with records
   * (`fetchLingerMs`), so that the next fetch gathers what arrived meanwhile instead of one fetch
   * per produce request and group. An idle consumer's fetch still waits at the broker and
   * returns with the first record.
   */
  function hold(why: "full" | "linger"): void {
    held.add(why);
    if (!stream?.isPaused()) stream?.pause();
  }
  function release(why: "full" | "linger"): void {
    held.delete(why);
    if (held.size === 0 && stream?.isPaused()) stream.resume();
  }

  function schedule(): void {
    while (running && active.size < o.partitionsConcurrently && ready.length > 0) {
      const partition = ready.shift()!;
      if (active.has(partition)) continue;
      void work(partition);
    }
  }

  async function work(partition: number): Promise<void> {
    active.add(partition);
    const mine = epoch;
    const taken = (buffers.get(partition) ?? []).filter(fresh);
    buffers.delete(partition);
    buffered = Math.max(0, buffered - taken.length);
    if (buffered < highWater / 2) release("full");
    try {
      if (taken.length > 0 && eachBatch) {
        const byOffset = new Map(taken.map((m) => [m.offset.toString(), m]));
        await eachBatch({
          topic: o.topic,
          partition,
          messages: taken.map(toMessage),
          isRunning: () => running,
          isStale: () => mine !== epoch || !running,
          heartbeat: async () => {},
          async commit(offset) {
            const message = byOffset.get(offset);
            if (!message || mine !== epoch) return;
            // Without an interval: awaited, so a rebalance redelivers at most one chunk per partition.
            if (commitEvery > 0) queueCommit(message);
            else
              await send([
                { topic: o.topic, partition, offset: message.offset + 1n, leaderEpoch: message.leaderEpoch },
              ]);
          },
        });
      }
    } catch (error) {
      if (running && mine === epoch) restart(error);
    } finally {
      active.delete(partition);
      if ((buffers.get(partition)?.length ?? 0) > 0 && !ready.includes(partition)) ready.push(partition);
      schedule();
      if (active.size === 0) for (const wake of idle.splice(0)) wake();
    }
  }

  async function open(): Promise<void> {
    const s = await consumer.consume({
      topics: [o.topic],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      maxWaitTime: o.maxWaitMs,
      maxBytesPerPartition: o.maxBytesPerPartition,
    });
    stream = s;
    s.on("data", onData);
    s.on("error", (error) => {
      if (running && stream === s) restart(error);
    });
  }

  /** What kafkajs does after a failed batch: start again from the last committed offsets. */
  function restart(error: unknown): void {
    if (restarting) return;
    o.onCrash?.(error);
    forget();
    const old = stream;
    stream = undefined;
    restarting = (async () => {
      await old?.close().catch(() => {});
      await new Promise((r) => setTimeout(r, 1000));
      while (running) {
        try {
          await open();
          break;
        } catch (e) {
          log.warn({ err: e, topic: o.topic }, "consumer could not restart; retrying");
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    })().finally(() => (restarting = undefined));
  }

  return {
    async run(handler) {
      eachBatch = handler;
      running = true;
      try {
        await open();
      } catch (error) {
        running = false;
        throw error;
      }
    },
    async stop() {
      running = false;
      await restarting?.catch(() => {});
      if (active.size > 0) await new Promise<void>((r) => idle.push(r));
      // What was processed is committed before the member leaves (its partitions go to others).
      clearTimeout(commitTimer);
      commitTimer = undefined;
      await flushCommits();
      epoch++;
      await stream?.close().catch(() => {});
      stream = undefined;
      await consumer.close(true).catch(() => {});
    },
  };
}

function admin(base: Base): KafkaAdmin {
  const a = new Admin({ ...base, retries: 3, retryDelay: 200 });
  const partitionsOf = async (topic: string): Promise<number> => {
    // The client's cached metadata (refreshed on its own max age): the lag monitor asks every second.
    const metadata = await a.metadata({ topics: [topic] });
    const t = metadata.topics.get(topic);
    if (!t) throw new Error(`topic ${topic} not found`);
    return t.partitionsCount;
  };
  const listAt = async (topic: string, timestamp: bigint) => {
    const n = await partitionsOf(topic);
    const [listed] = await a.listOffsets({
      topics: [
        { name: topic, partitions: Array.from({ length: n }, (_, i) => ({ partitionIndex: i, timestamp })) },
      ],
    });
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  };
  const self: KafkaAdmin = {
    // The client connects on its first request.
    connect: async () => {},
    disconnect: () => a.close(),
    async createTopics(topics) {
      const existing = new Set(await a.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      for (const t of missing) {
        await a.createTopics({
          topics: [t.topic],
          partitions: t.numPartitions,
          replicas: -1,
          configs: (t.configEntries ?? []).map(({ name, value }) => ({ name, value })),
        });
      }
      // Wait for every partition's leader, as kafkajs's waitForLeaders does.
      for (let i = 0; i < 50 && missing.length > 0; i++) {
        const described = await self.describeTopics(missing.map((t) => t.topic)).catch(() => []);
        const led = described.filter(
          (d) => d.partitions.length > 0 && d.partitions.every((p) => p.leader >= 0),
        );
        if (led.length === missing.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      return missing.length > 0;
    },
    async describeTopics(topics) {
      const metadata = await a.metadata({ topics, forceUpdate: true });
      return topics.flatMap((name) => {
        const t = metadata.topics.get(name);
        if (!t) return [];
        return [{ name, partitions: t.partitions.map((p, partition) => ({ partition, leader: p.leader })) }];
      });
    },
    deleteTopics: (topics) => a.deleteTopics({ topics }),
    async fetchTopicOffsets(topic) {
      const [low, high] = await Promise.all([listAt(topic, -2n), listAt(topic, -1n)]);
      return [...high.keys()]
        .sort((x, y) => x - y)
        .map((partition) => ({
          partition,
          low: String(low.get(partition) ?? 0n),
          high: String(high.get(partition)!),
        }));
    },
    async fetchOffsets({ groupId, topics }) {
      const counts = await Promise.all(topics.map(partitionsOf));
      const [group] = await a.listConsumerGroupOffsets({
        groups: [
          {
            groupId,
            topics: topics.map((name, i) => ({
              name,
              partitionIndexes: Array.from({ length: counts[i]! }, (_, p) => p),
            })),
          },
        ],
      });
      return topics.map((topic) => ({
        topic,
        partitions: (group?.topics.find((t) => t.name === topic)?.partitions ?? [])
          .map((p) => ({ partition: p.partitionIndex, offset: String(p.committedOffset) }))
          .sort((x, y) => x.partition - y.partition),
      }));
    },
    async fetchTopicOffsetsByTimestamp(topic, timestamp) {
      const [at, high] = await Promise.all([listAt(topic, BigInt(timestamp)), listAt(topic, -1n)]);
      return [...high.keys()]
        .sort((x, y) => x - y)
        .map((partition) => {
          const offset = at.get(partition) ?? -1n;
          return { partition, offset: String(offset < 0n ? high.get(partition)! : offset) };
        });
    },
  };
  return self;
}
