// Topic sizes in bytes, which kafkajs's admin cannot tell (it has no DescribeLogDirs): the broker's
// JMX exporter publishes each partition's log size as `kafka_log_size_bytes{topic, partition}`,
// and Prometheus holds it. A replica on each broker reports its own copy: the largest is the
// partition's size. A partition Prometheus knows nothing of (yet: it scrapes every few seconds)
// has no size rather than a made-up one.
import type { PartitionView, TopicView } from "./kafka-view.ts";
import type { Upstreams } from "./upstream.ts";

export const topicSizeQuery = "max by (topic, partition) (kafka_log_size_bytes)";

/** topic -> partition -> bytes */
export type TopicSizes = Map<string, Map<number, number>>;

export async function topicSizes(upstreams: Upstreams): Promise<TopicSizes> {
  const answer = await upstreams.json("prometheus", {
    path: ["/api/v1/query"],
    query: { query: topicSizeQuery },
  });
  const sizes: TopicSizes = new Map();
  const result = answer?.data?.result as
    { metric: Record<string, string>; value: [number, string] }[] | undefined;
  for (const r of result ?? []) {
    const { topic, partition } = r.metric;
    const bytes = Number(r.value?.[1]);
    if (topic === undefined || !/^\d+$/.test(partition ?? "") || !Number.isFinite(bytes)) continue;
    let partitions = sizes.get(topic);
    if (!partitions) sizes.set(topic, (partitions = new Map()));
    partitions.set(Number(partition), bytes);
  }
  return sizes;
}

export interface SizedPartition extends PartitionView {
  /** The partition's log on disk, from Prometheus; null when it has no figure. */
  bytes: number | null;
}

export interface SizedTopic extends Omit<TopicView, "partitions"> {
  partitions: SizedPartition[];
  /** The sum over partitions; null unless every partition has a size. */
  bytes: number | null;
}

export function withSizes(topics: TopicView[], sizes: TopicSizes): SizedTopic[] {
  return topics.map((t) => {
    const known = sizes.get(t.topic);
    const partitions = t.partitions.map((p) => ({ ...p, bytes: known?.get(p.partition) ?? null }));
    const complete = partitions.every((p) => p.bytes !== null);
    return {
      ...t,
      partitions,
      bytes: complete ? partitions.reduce((s, p) => s + p.bytes!, 0) : null,
    };
  });
}
