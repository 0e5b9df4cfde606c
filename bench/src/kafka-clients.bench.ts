// The two Kafka clients the platform can run on (KAFKA_CLIENT), measured through the platform's
// own publisher and batch consumer, in the same run: produce-to-consume latency at a fixed rate
// (one publish per event, as the producer service does per request) and produce throughput with
// many publishes outstanding. Each figure is the median of repeated runs, the adapters taking
// turns so that a busy moment of the shared box falls on both.
import {
  createBatchConsumer,
  createKafka,
  createLogger,
  createMetrics,
  createPublisher,
  kafkaClientNames,
  type Kafka,
  type KafkaClientName,
  type OutgoingRecord,
} from "@eventscope/platform";
import { randomBytes } from "node:crypto";
import { cpuSample, cpuShares } from "./machine.ts";
import { formatRate, median, renderTable } from "./stats.ts";
import type { Benchmark, BenchContext, BenchResult } from "./types.ts";

interface Settings {
  runs: number;
  rate: number;
  latencySeconds: number;
  throughputRecords: number;
  outstanding: number;
  valueBytes: number;
  partitions: number;
}

function settings(quick: boolean, env = process.env): Settings {
  return {
    runs: Number(env.RUNS ?? (quick ? 1 : 3)),
    rate: Number(env.KAFKA_BENCH_RATE ?? 1000),
    latencySeconds: Number(env.KAFKA_BENCH_SECONDS ?? (quick ? 3 : 10)),
    throughputRecords: Number(env.KAFKA_BENCH_RECORDS ?? (quick ? 20_000 : 100_000)),
    outstanding: 512,
    valueBytes: 200,
    partitions: 3,
  };
}

interface RunFigures {
  client: KafkaClientName;
  run: number;
  received: number;
  expected: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU of this process (producer and consumer together) per event at the fixed rate. */
  cpuMsPerEvent: number;
  throughput: number;
}

const logger = createLogger({ service: "bench-kafka", level: "warn" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function withTopic<T>(
  kafka: Kafka,
  partitions: number,
  work: (topic: string) => Promise<T>,
): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench_kafka_${kafka.client}_${randomBytes(4).toString("hex")}`;
  await admin.createTopics([{ topic, numPartitions: partitions }]);
  try {
    return await work(topic);
  } finally {
    await admin.deleteTopics([topic]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

/** Events published one by one at `rate`/s for `seconds`; each one's latency until a consumer handled it. */
async function latency(
  kafka: Kafka,
  s: Settings,
): Promise<Omit<RunFigures, "client" | "run" | "throughput">> {
  return withTopic(kafka, s.partitions, async (topic) => {
    const metrics = createMetrics("bench-kafka");
    const publisher = createPublisher(kafka, { metrics, logger });
    await publisher.connect();
    const latencies: number[] = [];
    const consumer = createBatchConsumer({
      kafka,
      logger,
      metrics,
      groupId: `${topic}-group`,
      topic,
      partitionsConcurrently: s.partitions,
      handle: async (messages) => {
        const now = performance.timeOrigin + performance.now();
        for (const m of messages) latencies.push(now - Number(m.value!.subarray(0, 20).toString()));
      },
    });
    await consumer.start();
    // Warm-up: the group has its partitions and the producer its id before the clock starts.
    await publisher.publish(topic, [
      { key: "warm-up", value: `${performance.timeOrigin + performance.now()}`.padEnd(20), headers: {} },
    ]);
    for (let i = 0; i < 100 && latencies.length === 0; i++) await sleep(50);
    latencies.length = 0;

    const expected = Math.round(s.rate * s.latencySeconds);
    const padding = "x".repeat(s.valueBytes - 20);
    const started = performance.now();
    const cpuFrom = process.cpuUsage();
    let sent = 0;
    const pending: Promise<void>[] = [];
    while (sent < expected) {
      const due = Math.min(expected, Math.floor(((performance.now() - started) / 1000) * s.rate));
      for (; sent < due; sent++) {
        const stamp = `${performance.timeOrigin + performance.now()}`.padEnd(20).slice(0, 20);
        const record: OutgoingRecord = {
          key: `aggregate-${sent % 100}`,
          value: stamp + padding,
          headers: {
            traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`,
          },
        };
        pending.push(publisher.publish(topic, [record]).catch(() => {}));
      }
      await sleep(1);
    }
    await Promise.all(pending);
    for (let i = 0; i < 200 && latencies.length < expected; i++) await sleep(50);
    const cpu = process.cpuUsage(cpuFrom);
    await consumer.stop();
    await publisher.disconnect();
    const sorted = latencies.sort((a, b) => a - b);
    return {
      received: sorted.length,
      expected,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? Number.NaN,
      cpuMsPerEvent: (cpu.user + cpu.system) / 1000 / Math.max(1, sorted.length),
    };
  });
}

/** Records published as fast as `outstanding` concurrent publishes allow (the publisher batches them). */
async function throughput(kafka: Kafka, s: Settings): Promise<number> {
  return withTopic(kafka, s.partitions, async (topic) => {
    const publisher = createPublisher(kafka, {
      metrics: createMetrics("bench-kafka"),
      logger,
      timeoutMs: 30_000,
    });
    await publisher.connect();
    const value = Buffer.alloc(s.valueBytes, "x");
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: s.outstanding }, async () => {
        while (next < s.throughputRecords) {
          const i = next++;
          await publisher.publish(topic, [{ key: `aggregate-${i % 1000}`, value, headers: {} }]);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await publisher.disconnect();
    return s.throughputRecords / seconds;
  });
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : "-");

export const benchmark: Benchmark = {
  name: "kafka-clients",
  description:
    "kafkajs vs @platformatic/kafka through the platform's publisher and batch consumer: produce-to-consume latency at 1,000/s, produce throughput",
  async run(context: BenchContext): Promise<BenchResult> {
    const s = settings(context.quick);
    const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
    const figures: RunFigures[] = [];
    const cpuFrom = cpuSample();
    for (let run = 1; run <= s.runs; run++) {
      // Alternate which client goes first, so neither always gets the quieter half of a run.
      const order = run % 2 === 1 ? [...kafkaClientNames] : [...kafkaClientNames].reverse();
      for (const client of order) {
        const kafka = await createKafka({ client, brokers, clientId: `bench-${client}`, logger });
        const l = await latency(kafka, s);
        const t = await throughput(kafka, s);
        const f: RunFigures = { client, run, ...l, throughput: t };
        figures.push(f);
        context.log(
          `run ${run} ${client}: p50 ${ms(f.p50Ms)} ms, p99 ${ms(f.p99Ms)} ms, max ${ms(f.maxMs)} ms (${f.received}/${f.expected}), ` +
            `${ms(f.cpuMsPerEvent)} ms CPU/event, produce ${formatRate(f.throughput)}/s`,
        );
      }
    }
    const cpu = cpuShares(cpuFrom, cpuSample());
    const summary = kafkaClientNames.map((client) => {
      const mine = figures.filter((f) => f.client === client);
      const pick = (k: keyof RunFigures) => mine.map((f) => f[k] as number);
      const spread = (k: keyof RunFigures) => {
        const v = pick(k).filter(Number.isFinite);
        return v.length > 1 ? `${ms(Math.min(...v))}-${ms(Math.max(...v))}` : "-";
      };
      return {
        client,
        p50Ms: median(pick("p50Ms")),
        p99Ms: median(pick("p99Ms")),
        p99Spread: spread("p99Ms"),
        cpuMsPerEvent: median(pick("cpuMsPerEvent")),
        throughput: median(pick("throughput")),
        throughputSpread: (() => {
          const v = pick("throughput");
          return v.length > 1 ? `${formatRate(Math.min(...v))}-${formatRate(Math.max(...v))}` : "-";
        })(),
        lost: mine.reduce((n, f) => n + Math.max(0, f.expected - f.received), 0),
      };
    });
    const best = [...summary].sort((a, b) => a.p99Ms - b.p99Ms)[0]!;
    const report = [
      renderTable(
        ["client", "p50 ms", "p99 ms", "p99 range", "CPU ms/event", "produce/s", "produce range", "lost"],
        summary.map((r) => [
          r.client,
          ms(r.p50Ms),
          ms(r.p99Ms),
          r.p99Spread,
          ms(r.cpuMsPerEvent),
          formatRate(r.throughput),
          r.throughputSpread,
          String(r.lost),
        ]),
      ),
      "",
      `medians of ${s.runs} run(s); ${s.rate}/s for ${s.latencySeconds} s, ${s.valueBytes}-byte values, ${s.partitions} partitions, acks=all, idempotent; ` +
        `throughput: ${s.throughputRecords.toLocaleString("en-US")} records, ${s.outstanding} publishes outstanding`,
      `machine during the runs: user ${cpu.user}%, system ${cpu.system}%, idle ${cpu.idle}%, steal ${cpu.steal}%`,
      `lowest p99: ${best.client}`,
    ].join("\n");
    return {
      name: "kafka-clients",
      description: this.description,
      config: { ...s },
      report,
      data: { figures, summary, cpu },
    };
  },
};
