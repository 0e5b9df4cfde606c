import type { Kafka, KafkaAdmin as Admin, KafkaMessage } from "./kafka/types.ts";
import type { ReadinessResult, Route } from "./http.ts";
import { commonSettings } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import { createLagProbe, type LagProbe } from "./lag-probe.ts";
import {
  addSample,
  emptyWindow,
  evaluatePartition,
  noteActivity,
  verdictValue,
  worstVerdict,
  type PartitionWindow,
  type Verdict,
} from "./lag-verdict.ts";

/**
 * Consumer lag, measured: every `intervalMs` (1 s) the monitor reads, per partition, the group's
 * committed offset and the high watermark (admin fetchOffsets / fetchTopicOffsets), and gives
 *  - the lag in messages;
 *  - the lag in seconds: the age of the oldest unconsumed message, from that message's own
 *    timestamp (never interpolated from offsets and rates). The message at the committed offset
 *    is known cheaply when the consumer reports the first message of each batch it starts (the
 *    common case: the committed offset is that batch's first offset); otherwise a probe consumer
 *    reads it (see lag-probe.ts). Timestamps are cached per offset, so a stopped group is probed
 *    once and its lag in seconds then grows with the clock;
 *  - a verdict per partition and group over a sliding window of samples (lag-verdict.ts).
 * Exposed as the `kafka_consumer_lag*` gauges and as JSON (`GET /lag`, see `lagRoute`).
 */

export interface LagGroupSpec {
  group: string;
  topic: string;
}

export interface PartitionLag {
  partition: number;
  /** The committed offset; -1 when the group has not committed on this partition yet. */
  committed: number;
  high: number;
  lag: number;
  /** Age of the oldest unconsumed message; 0 without lag; null when it could not be read. */
  lagSeconds: number | null;
  verdict: Verdict;
  /** How long the partition has had lag without its committed offset moving; 0 while it moves. */
  stuckSeconds: number;
}

export interface GroupLag {
  group: string;
  topic: string;
  verdict: Verdict;
  /** Sum over partitions. */
  lag: number;
  /** The oldest unconsumed message over all partitions; null if any lagging partition is unknown. */
  lagSeconds: number | null;
  partitions: PartitionLag[];
  /** Set when the last sample failed (e.g. Kafka unreachable); the figures are the previous ones. */
  error?: string;
}

export interface LagReport {
  sampledAt: string | null;
  intervalMs: number;
  windowSize: number;
  groups: GroupLag[];
}

/** What a consumer tells the monitor: it started a batch (alive on the partition), and where. */
export interface LagReporter {
  batchStarted(
    topic: string,
    partition: number,
    first: Pick<KafkaMessage, "offset" | "timestamp"> | undefined,
  ): void;
}

export interface LagMonitor {
  /** Starts sampling every interval (the first sample at once). */
  start(): void;
  stop(): Promise<void>;
  /** One sampling round now; resolves with the new report. */
  sample(): Promise<LagReport>;
  /** The last report (sampled at most one interval ago while running). */
  report(): LagReport;
  reporter(group: string): LagReporter;
  /**
   * For /health/ready: not ready while a partition with lag has gone `stuckAfterMs` without its
   * committed offset moving (a message that cannot be processed, a lock, a consumer hung); the
   * detail names each such group, topic and partition. Ready again once it moves.
   */
  readiness(): ReadinessResult;
}

export interface StuckPartition {
  group: string;
  topic: string;
  partition: number;
  committed: number;
  lag: number;
  stuckSeconds: number;
}

export interface LagMonitorOptions {
  kafka: Kafka;
  groups: LagGroupSpec[];
  metrics?: Metrics;
  logger?: Logger;
  /** Sampling interval (the setting LAG_SAMPLE_INTERVAL_MS, default 1000). */
  intervalMs?: number;
  /** Samples in the verdict window (LAG_WINDOW_SAMPLES, default 10). */
  windowSize?: number;
  /** A partition with lag whose committed offset has not moved for this long is stuck (LAG_STUCK_AFTER_MS, default 60 s). */
  stuckAfterMs?: number;
  /** Read timestamps the consumer did not report with a probe consumer (default true). */
  probe?: boolean;
  /** Longest wait for a probe read within one sample; default half the interval (a sample stays under 1 s). */
  probeTimeoutMs?: number;
  now?: () => number;
}

interface GroupState {
  spec: LagGroupSpec;
  windows: Map<number, PartitionWindow>;
  /** Per partition, the committed offset last seen moving (or without lag) and when. */
  progress: Map<number, { committed: number; at: number }>;
  last: GroupLag;
}

const TIMESTAMPS_PER_PARTITION = 512;

export function createLagMonitor(options: LagMonitorOptions): LagMonitor {
  const intervalMs = options.intervalMs ?? commonSettings.lagSampleIntervalMs.default;
  const windowSize = options.windowSize ?? commonSettings.lagWindowSamples.default;
  const windowMs = windowSize * intervalMs;
  const stuckAfterMs = options.stuckAfterMs ?? commonSettings.lagStuckAfterMs.default;
  const probeTimeoutMs = options.probeTimeoutMs ?? Math.max(100, Math.floor(intervalMs * 0.5));
  const now = options.now ?? Date.now;
  const { kafka, metrics, logger } = options;

  const groups = new Map<string, GroupState>(
    options.groups.map((spec) => [
      spec.group,
      {
        spec,
        windows: new Map(),
        progress: new Map(),
        last: { ...spec, verdict: "OK", lag: 0, lagSeconds: 0, partitions: [] },
      },
    ]),
  );
  // Message timestamps by topic, partition and offset: a property of the log, shared by groups.
  const timestamps = new Map<string, Map<number, Map<number, number>>>();
  const probes = new Map<string, LagProbe>();
  let admin: Admin | undefined;
  let adminConnected: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let sampledAt: number | undefined;
  let inFlight: Promise<LagReport> | undefined;
  let lastErrorLogged = 0;

  function remember(topic: string, partition: number, offset: number, timestamp: number): void {
    if (!Number.isFinite(offset) || !Number.isFinite(timestamp) || timestamp <= 0) return;
    let byPartition = timestamps.get(topic);
    if (!byPartition) timestamps.set(topic, (byPartition = new Map()));
    let byOffset = byPartition.get(partition);
    if (!byOffset) byPartition.set(partition, (byOffset = new Map()));
    byOffset.set(offset, timestamp);
    if (byOffset.size > TIMESTAMPS_PER_PARTITION) byOffset.delete(byOffset.keys().next().value!);
    const key = `${topic}/${partition}/${offset}`;
    for (const wake of [...(reportWaiters.get(key) ?? [])]) wake();
  }
  const reportWaiters = new Map<string, (() => void)[]>();
  /** Resolves when the consumer reports a batch starting at `offset`, or after `ms`. */
  const reported = (topic: string, partition: number, offset: number, ms: number) =>
    new Promise<void>((resolve) => {
      const key = `${topic}/${partition}/${offset}`;
      const done = () => {
        clearTimeout(timer);
        const rest = (reportWaiters.get(key) ?? []).filter((w) => w !== done);
        if (rest.length > 0) reportWaiters.set(key, rest);
        else reportWaiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      reportWaiters.set(key, [...(reportWaiters.get(key) ?? []), done]);
    });
  const known = (topic: string, partition: number, offset: number) =>
    timestamps.get(topic)?.get(partition)?.get(offset);

  function probeFor(topic: string): LagProbe | undefined {
    if (options.probe === false) return undefined;
    let probe = probes.get(topic);
    if (!probe) {
      probe = createLagProbe({
        kafka,
        topic,
        groupPrefix: [...groups.values()].find((g) => g.spec.topic === topic)?.spec.group ?? topic,
        logger,
        onTimestamp: (partition, offset, timestamp) => remember(topic, partition, offset, timestamp),
      });
      probes.set(topic, probe);
    }
    return probe;
  }

  async function connectedAdmin(): Promise<Admin> {
    admin ??= kafka.admin();
    adminConnected ??= admin.connect().catch((error: unknown) => {
      adminConnected = undefined;
      throw error;
    });
    await adminConnected;
    return admin;
  }

  async function sampleGroup(state: GroupState): Promise<GroupLag> {
    const { group, topic } = state.spec;
    const a = await connectedAdmin();
    const [committedList, topicOffsets] = await Promise.all([
      a.fetchOffsets({ groupId: group, topics: [topic] }),
      a.fetchTopicOffsets(topic),
    ]);
    const committedBy = new Map(
      (committedList.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [
        p.partition,
        Number(p.offset),
      ]),
    );
    const at = now();
    const rows = topicOffsets
      .map((o) => {
        const high = Number(o.high);
        const low = Number(o.low);
        const committed = committedBy.get(o.partition) ?? -1;
        // Without a commit the group starts from the log start (every consumer here reads from the beginning).
        const start = committed < 0 ? low : Math.min(committed, high);
        return { partition: o.partition, committed, start, high, lag: Math.max(0, high - start) };
      })
      .sort((x, y) => x.partition - y.partition);

    // The timestamp of each lagging partition's oldest unconsumed message: reported, cached or probed.
    // A consumer working on the partition (a batch started lately) is about to fetch exactly that
    // message and report it: it is given a moment first, so that under load the probe is rare.
    const probe = probeFor(topic);
    await Promise.all(
      rows
        .filter((r) => r.lag > 0 && known(topic, r.partition, r.start) === undefined && probe)
        .map(async (r) => {
          const activity = state.windows.get(r.partition)?.lastActivityAt;
          if (activity !== undefined && at - activity < 2 * intervalMs) {
            await reported(topic, r.partition, r.start, Math.min(150, probeTimeoutMs / 2));
            if (known(topic, r.partition, r.start) !== undefined) return;
          }
          const read = await probe!.timestampAt(r.partition, r.start, probeTimeoutMs);
          // The first message at or after the offset (below it only aborted or compacted records).
          if (read) remember(topic, r.partition, r.start, read.timestamp);
        }),
    );
    const evaluatedAt = now();
    const partitions: PartitionLag[] = rows.map((r) => {
      const window = addSample(
        state.windows.get(r.partition) ?? emptyWindow(at),
        { at, committed: r.start, high: r.high, lag: r.lag },
        { size: windowSize },
      );
      state.windows.set(r.partition, window);
      const ts = r.lag > 0 ? known(topic, r.partition, r.start) : undefined;
      const lagSeconds = r.lag === 0 ? 0 : ts === undefined ? null : Math.max(0, evaluatedAt - ts) / 1000;
      const verdict = evaluatePartition(window, { now: evaluatedAt, size: windowSize, windowMs });
      const seen = state.progress.get(r.partition);
      if (!seen || r.lag === 0 || r.start !== seen.committed)
        state.progress.set(r.partition, { committed: r.start, at });
      const stuckSeconds = r.lag === 0 ? 0 : (at - state.progress.get(r.partition)!.at) / 1000;
      return {
        partition: r.partition,
        committed: r.committed,
        high: r.high,
        lag: r.lag,
        lagSeconds,
        verdict,
        stuckSeconds,
      };
    });
    const lagging = partitions.filter((p) => p.lag > 0);
    return {
      group,
      topic,
      verdict: worstVerdict(partitions.map((p) => p.verdict)),
      lag: partitions.reduce((sum, p) => sum + p.lag, 0),
      lagSeconds: lagging.some((p) => p.lagSeconds === null)
        ? null
        : lagging.reduce((max, p) => Math.max(max, p.lagSeconds!), 0),
      partitions,
    };
  }

  function publish(result: GroupLag, previous: GroupLag): void {
    if (metrics) {
      for (const p of result.partitions) {
        const labels = { group: result.group, topic: result.topic, partition: String(p.partition) };
        metrics.consumerLag.set(labels, p.lag);
        if (p.lagSeconds !== null) metrics.consumerLagSeconds.set(labels, p.lagSeconds);
        metrics.consumerPartitionStuck.set(labels, p.stuckSeconds);
      }
      metrics.consumerLagVerdict.set({ group: result.group }, verdictValue(result.verdict));
    }
    if (result.verdict !== previous.verdict) {
      const log = result.verdict === "OK" ? logger?.info.bind(logger) : logger?.warn.bind(logger);
      log?.(
        {
          group: result.group,
          topic: result.topic,
          from: previous.verdict,
          to: result.verdict,
          lag: result.lag,
          lagSeconds: result.lagSeconds,
        },
        "consumer lag verdict changed",
      );
    }
  }

  async function sampleAll(): Promise<LagReport> {
    await Promise.all(
      [...groups.values()].map(async (state) => {
        try {
          const result = await sampleGroup(state);
          publish(result, state.last);
          state.last = result;
        } catch (error) {
          state.last = { ...state.last, error: (error as Error).message };
          if (now() - lastErrorLogged > 30_000) {
            lastErrorLogged = now();
            logger?.warn({ err: error, group: state.spec.group }, "consumer lag could not be sampled");
          }
        }
      }),
    );
    sampledAt = now();
    return report();
  }

  function report(): LagReport {
    return {
      sampledAt: sampledAt === undefined ? null : new Date(sampledAt).toISOString(),
      intervalMs,
      windowSize,
      groups: [...groups.values()].map((g) => g.last),
    };
  }

  const sample = (): Promise<LagReport> => {
    inFlight ??= sampleAll().finally(() => (inFlight = undefined));
    return inFlight;
  };

  const tick = () => {
    if (!running) return;
    const started = now();
    void sample().finally(() => {
      if (!running) return;
      timer = setTimeout(tick, Math.max(0, intervalMs - (now() - started)));
      timer.unref();
    });
  };

  return {
    start() {
      if (running) return;
      running = true;
      tick();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await inFlight?.catch(() => {});
      await Promise.all([...probes.values()].map((p) => p.stop()));
      probes.clear();
      if (adminConnected) await admin?.disconnect().catch(() => {});
      admin = undefined;
      adminConnected = undefined;
    },
    sample,
    report,
    readiness() {
      const stuck: StuckPartition[] = [];
      for (const { last } of groups.values()) {
        for (const p of last.partitions) {
          if (p.lag > 0 && p.stuckSeconds * 1000 >= stuckAfterMs) {
            const { partition, committed, lag, stuckSeconds } = p;
            stuck.push({ group: last.group, topic: last.topic, partition, committed, lag, stuckSeconds });
          }
        }
      }
      return stuck.length === 0
        ? { ready: true }
        : {
            ready: false,
            detail: { reason: "partitions stuck", stuckAfterSeconds: stuckAfterMs / 1000, stuck },
          };
    },
    reporter(group) {
      return {
        batchStarted(topic, partition, first) {
          const at = now();
          const state = groups.get(group);
          if (state && state.spec.topic === topic) {
            const window = state.windows.get(partition) ?? emptyWindow(at);
            state.windows.set(partition, noteActivity(window, at));
          }
          if (first) remember(topic, partition, Number(first.offset), Number(first.timestamp));
        },
      };
    },
  };
}

/**
 * `GET /lag`: the monitor's last report as JSON, for load tests to poll. `?fresh=true` samples
 * first (a load test that wants the lag right after its last request).
 */
export function lagRoute(monitor: LagMonitor): Route {
  return {
    method: "GET",
    path: "/lag",
    handler: async ({ query }) => ({
      status: 200,
      body: query.get("fresh") === "true" ? await monitor.sample() : monitor.report(),
    }),
  };
}
