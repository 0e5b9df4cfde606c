import { describe, expect, it } from "vitest";
import type { TopicView } from "./kafka-view.ts";
import { topicSizeQuery, topicSizes, withSizes } from "./topic-sizes.ts";
import type { Upstreams } from "./upstream.ts";

const partition = (n: number) => ({
  partition: n,
  leader: 1,
  leaderHost: null,
  replicas: [1],
  isr: [1],
  low: 0,
  high: 10,
  messages: 10,
});
const topic = (name: string, partitions: number): TopicView => ({
  topic: name,
  platform: true,
  partitions: Array.from({ length: partitions }, (_, i) => partition(i)),
  messages: 10 * partitions,
});

describe("topic sizes from Prometheus", () => {
  it("reads kafka_log_size_bytes per topic and partition, skipping series it cannot read", async () => {
    const asked: unknown[] = [];
    const upstreams = {
      call: () => Promise.reject(new Error("not used")),
      json: (name: string, request: unknown) => {
        asked.push({ name, request });
        return Promise.resolve({
          status: "success",
          data: {
            result: [
              { metric: { topic: "events.committed", partition: "0" }, value: [1, "2048"] },
              { metric: { topic: "events.committed", partition: "1" }, value: [1, "100"] },
              { metric: { topic: "events.committed" }, value: [1, "7"] },
              { metric: { topic: "events.ingest", partition: "0" }, value: [1, "NaN"] },
            ],
          },
        });
      },
    } as unknown as Upstreams;
    const sizes = await topicSizes(upstreams);
    expect(asked).toEqual([
      { name: "prometheus", request: { path: ["/api/v1/query"], query: { query: topicSizeQuery } } },
    ]);
    expect([...sizes.get("events.committed")!]).toEqual([
      [0, 2048],
      [1, 100],
    ]);
    expect(sizes.has("events.ingest")).toBe(false);
  });

  it("gives a topic its total only when every partition has a size", () => {
    const sizes = new Map([
      [
        "a",
        new Map([
          [0, 10],
          [1, 32],
        ]),
      ],
      ["b", new Map([[0, 5]])],
    ]);
    const [a, b, c] = withSizes([topic("a", 2), topic("b", 2), topic("c", 1)], sizes);
    expect(a!.bytes).toBe(42);
    expect(a!.partitions.map((p) => p.bytes)).toEqual([10, 32]);
    expect(b!.bytes).toBeNull();
    expect(b!.partitions.map((p) => p.bytes)).toEqual([5, null]);
    expect(c!.bytes).toBeNull();
  });
});
