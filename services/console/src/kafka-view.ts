// Kafka as the console shows it: topics (partitions, leaders, watermarks), consumer groups
// (members, assignments, committed offsets, lag) and the messages of one partition. Messages are
// read by a short-lived consumer in a group of its own that never commits (as the lag probe
// does: kafkajs has no manual assignment), so the platform's groups are never joined; one read
// takes at most `limit` messages and `timeoutMs`, and only a few reads run at once.
import { randomBytes } from "node:crypto";
import kafkajs, { type Admin, type Kafka, type KafkaMessage } from "kafkajs";
import { ProblemError, notFound, unavailable, type TopicNames } from "@eventscope/platform";
import {
  decodeBytes,
  decodeHeaders,
  decodeValue,
  type DecodedBytes,
  type DecodedHeaders,
  type DecodedValue,
} from "./headers.ts";

const { AssignerProtocol } = kafkajs;

export const BROWSE_GROUP_PREFIX = "console.browse.";
const MAX_TOPICS = 500;
const MAX_GROUPS = 200;
const MAX_CONCURRENT_READS = 2;

export interface PartitionView {
  partition: number;
  leader: number;
  leaderHost: string | null;
  replicas: number[];
  isr: number[];
  low: number;
  high: number;
  /** Messages held: high minus low watermark (kafkajs's admin has no log-dir sizes in bytes). */
  messages: number;
}

export interface TopicView {
  topic: string;
  platform: boolean;
  partitions: PartitionView[];
  messages: number;
}

export interface GroupPartitionView {
  topic: string;
  partition: number;
  committed: number;
  high: number;
  lag: number;
  lagSeconds: number | null;
  verdict: string | null;
  member: string | null;
}

export interface GroupView {
  groupId: string;
  state: string;
  verdict: string | null;
  lag: number;
  members: { memberId: string; clientId: string; clientHost: string; assignment: Record<string, number[]> }[];
  partitions: GroupPartitionView[];
}

/** What the services' GET /lag says of a group's partitions (lag in seconds and the verdict). */
export interface ServiceLag {
  group: string;
  topic: string;
  verdict: string;
  partitions: { partition: number; lagSeconds: number | null; verdict: string }[];
}

export interface MessageView {
  partition: number;
  offset: string;
  timestamp: string;
  key: DecodedBytes | null;
  headers: DecodedHeaders;
  value: DecodedValue;
}

export interface KafkaView {
  topics(all: boolean): Promise<TopicView[]>;
  groups(all: boolean, lags: ServiceLag[]): Promise<GroupView[]>;
  messages(request: MessageRequest): Promise<{
    topic: string;
    partition: number;
    low: number;
    high: number;
    from: number;
    messages: MessageView[];
  }>;
  /** The newest `perPartition` messages of every partition of a topic (a bounded scan). */
  tail(topic: string, perPartition: number): Promise<MessageView[]>;
  close(): Promise<void>;
}

export interface MessageRequest {
  topic: string;
  partition: number;
  offset?: number | undefined;
  /** Epoch ms: the first message at or after it. */
  time?: number | undefined;
  limit: number;
}

const unreachable = (error: unknown) =>
  error instanceof ProblemError ? error : unavailable("Kafka could not be reached", 2, error);

export function createKafkaView(deps: { kafka: Kafka; topics: TopicNames; timeoutMs: number }): KafkaView {
  const { kafka, timeoutMs } = deps;
  const platformTopics = new Set(Object.values(deps.topics));
  let reads = 0;

  // A fresh admin client per request: kafkajs's admin keeps refreshing the metadata of every
  // topic it was ever asked about, and fails for good once one of them is deleted.
  const bounded = async <T>(work: (a: Admin) => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 } });
    try {
      return await Promise.race([
        admin.connect().then(() => work(admin)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(unavailable(`Kafka did not answer within ${timeoutMs * 2} ms`, 2)),
            timeoutMs * 2,
          );
        }),
      ]);
    } catch (error) {
      throw unreachable(error);
    } finally {
      clearTimeout(timer);
      await admin.disconnect().catch(() => {});
    }
  };

  async function topicOffsets(a: Admin, topic: string) {
    const offsets = await a.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
  }

  async function existingTopic(a: Admin, topic: string): Promise<void> {
    const names = await a.listTopics();
    if (!names.includes(topic)) throw notFound(`no topic ${topic}`);
  }

  return {
    topics: (all) =>
      bounded(async (a) => {
        const names = (await a.listTopics())
          .filter((t) => !t.startsWith("__") && (all || platformTopics.has(t)))
          .sort()
          .slice(0, MAX_TOPICS);
        if (names.length === 0) return [];
        const [{ topics }, cluster] = await Promise.all([
          a.fetchTopicMetadata({ topics: names }),
          a.describeCluster(),
        ]);
        const hosts = new Map(cluster.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
        const offsets = await Promise.all(names.map((t) => topicOffsets(a, t)));
        const byName = new Map(names.map((t, i) => [t, offsets[i]!]));
        return topics
          .map((t): TopicView => {
            const o = byName.get(t.name)!;
            const partitions = t.partitions
              .map((p) => {
                const w = o.get(p.partitionId) ?? { low: 0, high: 0 };
                return {
                  partition: p.partitionId,
                  leader: p.leader,
                  leaderHost: hosts.get(p.leader) ?? null,
                  replicas: p.replicas,
                  isr: p.isr,
                  low: w.low,
                  high: w.high,
                  messages: w.high - w.low,
                };
              })
              .sort((x, y) => x.partition - y.partition);
            return {
              topic: t.name,
              platform: platformTopics.has(t.name),
              partitions,
              messages: partitions.reduce((s, p) => s + p.messages, 0),
            };
          })
          .sort((x, y) => x.topic.localeCompare(y.topic));
      }),

    groups: (all, lags) =>
      bounded(async (a) => {
        const listed = (await a.listGroups()).groups
          .filter((g) => g.protocolType === "consumer" || g.protocolType === "")
          .map((g) => g.groupId)
          .filter((id) => !id.startsWith(BROWSE_GROUP_PREFIX) && !id.includes(".lag-probe."))
          .sort();
        const offsetsCache = new Map<string, Promise<Map<number, { low: number; high: number }>>>();
        const watermarks = (topic: string) => {
          let p = offsetsCache.get(topic);
          if (!p) offsetsCache.set(topic, (p = topicOffsets(a, topic)));
          return p;
        };
        const views: GroupView[] = [];
        for (let i = 0; i < listed.length && views.length < MAX_GROUPS; i += 20) {
          const ids = listed.slice(i, i + 20);
          const { groups } = await a.describeGroups(ids);
          for (const g of groups) {
            const committed = await a.fetchOffsets({ groupId: g.groupId });
            const topics = committed.filter((t) => all || platformTopics.has(t.topic));
            if (topics.length === 0 && !all) continue;
            const members = g.members.map((m) => {
              let assignment: Record<string, number[]> = {};
              try {
                assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {};
              } catch {
                // an assignment of another protocol: shown empty
              }
              return { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assignment };
            });
            const ownerOf = (topic: string, partition: number) =>
              members.find((m) => m.assignment[topic]?.includes(partition))?.memberId ?? null;
            const partitions: GroupPartitionView[] = [];
            for (const t of topics) {
              const marks = await watermarks(t.topic);
              const reported = lags.find((l) => l.group === g.groupId && l.topic === t.topic);
              for (const p of t.partitions) {
                const w = marks.get(p.partition) ?? { low: 0, high: 0 };
                const offset = Number(p.offset);
                const from = offset >= 0 ? offset : w.low;
                const lagged = reported?.partitions.find((x) => x.partition === p.partition);
                partitions.push({
                  topic: t.topic,
                  partition: p.partition,
                  committed: offset,
                  high: w.high,
                  lag: Math.max(0, w.high - from),
                  lagSeconds: lagged?.lagSeconds ?? null,
                  verdict: lagged?.verdict ?? null,
                  member: ownerOf(t.topic, p.partition),
                });
              }
            }
            partitions.sort((x, y) => x.topic.localeCompare(y.topic) || x.partition - y.partition);
            const reported = lags.filter((l) => l.group === g.groupId);
            views.push({
              groupId: g.groupId,
              state: g.state,
              verdict: reported[0]?.verdict ?? null,
              lag: partitions.reduce((s, p) => s + p.lag, 0),
              members,
              partitions,
            });
          }
        }
        return views;
      }),

    async messages(request) {
      const { topic, partition, limit } = request;
      const { low, high, start } = await bounded(async (a) => {
        await existingTopic(a, topic);
        const marks = await topicOffsets(a, topic);
        const w = marks.get(partition);
        if (!w)
          throw notFound(`topic ${topic} has no partition ${partition}`, { partitions: [...marks.keys()] });
        let from = request.offset ?? w.low;
        if (request.time !== undefined) {
          const at = await a.fetchTopicOffsetsByTimestamp(topic, request.time);
          from = Number(at.find((p) => p.partition === partition)?.offset ?? w.high);
        }
        return { ...w, start: Math.max(from, w.low) };
      });
      const result = { topic, partition, low, high, from: start };
      if (start >= high) return { ...result, messages: [] };
      if (reads >= MAX_CONCURRENT_READS) throw unavailable("other message reads are running; try again", 1);
      reads++;
      try {
        const ranges = new Map([[partition, { start, end: high }]]);
        const raw = await readRanges(kafka, topic, ranges, limit, timeoutMs);
        return { ...result, messages: raw.map((r) => toView(r.partition, r.message)) };
      } catch (error) {
        throw unreachable(error);
      } finally {
        reads--;
      }
    },

    async tail(topic, perPartition) {
      const ranges = await bounded(async (a) => {
        await existingTopic(a, topic);
        const marks = await topicOffsets(a, topic);
        return new Map(
          [...marks].map(([p, w]) => [p, { start: Math.max(w.low, w.high - perPartition), end: w.high }]),
        );
      });
      if (reads >= MAX_CONCURRENT_READS) throw unavailable("other message reads are running; try again", 1);
      reads++;
      try {
        const total = [...ranges.values()].reduce((s, r) => s + r.end - r.start, 0);
        const raw = await readRanges(kafka, topic, ranges, total, timeoutMs);
        return raw.map((r) => toView(r.partition, r.message));
      } catch (error) {
        throw unreachable(error);
      } finally {
        reads--;
      }
    },

    async close() {
      // nothing held between requests
    },
  };
}

function toView(partition: number, m: KafkaMessage): MessageView {
  return {
    partition,
    offset: m.offset,
    timestamp: new Date(Number(m.timestamp)).toISOString(),
    key: m.key === null ? null : decodeBytes(m.key, 1024),
    headers: decodeHeaders(m.headers),
    value: decodeValue(m.value),
  };
}

/** Reads each partition's range [start, end) with one short-lived consumer; at most `limit` in all. */
async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: Map<number, { start: number; end: number }>,
  limit: number,
  timeoutMs: number,
): Promise<{ partition: number; message: KafkaMessage }[]> {
  const consumer = kafka.consumer({
    groupId: `${BROWSE_GROUP_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 3000,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 1024 * 1024,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const collected: { partition: number; message: KafkaMessage }[] = [];
  const open = new Set([...ranges].filter(([, r]) => r.start < r.end).map(([p]) => p));
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const timer = setTimeout(finish, timeoutMs);
  if (open.size === 0) finish();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const range = ranges.get(batch.partition);
        if (!range || !open.has(batch.partition)) return;
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset < range.start) continue;
          if (offset >= range.end || collected.length >= limit) break;
          collected.push({ partition: batch.partition, message: m });
        }
        const last = Number(batch.lastOffset());
        if (last + 1 >= range.end || last + 1 >= Number(batch.highWatermark)) {
          open.delete(batch.partition);
          payload.pause();
        }
        if (open.size === 0 || collected.length >= limit) finish();
      },
    });
    consumer.pause([{ topic }]);
    for (const [partition, range] of ranges) {
      if (!open.has(partition)) continue;
      consumer.seek({ topic, partition, offset: String(range.start) });
      consumer.resume([{ topic, partitions: [partition] }]);
    }
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
  }
  return collected.slice(0, limit);
}
