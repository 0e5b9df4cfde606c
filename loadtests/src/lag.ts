import { Kafka, logLevel, type Admin } from "kafkajs";

/**
 * Consumer lag, sampled from outside the platform while a run lasts and after it until drained.
 *
 * Messages: this sampler reads the committed offsets and high watermarks itself (kafkajs admin),
 * so its timing is its own (every second during the load, every 200 ms after it, for the drain).
 * Seconds (the age of the oldest unconsumed message) and the verdict: taken from the services'
 * own `GET /lag` when they serve it (it reads the message timestamps); until they do, the age
 * is bounded from this sampler's history of high watermarks: the oldest unconsumed offset was
 * first seen in the log at sample t, so its age is at least now - t (one sampling interval of
 * resolution, never interpolated from rates).
 */

export interface GroupSpec {
  group: string;
  topic: string;
  /** The service that consumes as this group (serves /lag). */
  lagUrl?: string;
}

export interface GroupSample {
  group: string;
  topic: string;
  /** Sums over the partitions: the group's committed offsets and the topic's high watermarks. */
  committed: number;
  high: number;
  lag: number;
  lagSeconds: number | null;
  verdict: string | null;
}

export interface LagSample {
  /** Epoch ms. */
  t: number;
  groups: GroupSample[];
  source: "lag-endpoint" | "kafka-admin";
}

export const defaultGroups = (topicPrefix = ""): GroupSpec[] => [
  { group: "event-store", topic: `${topicPrefix}events.ingest`, lagUrl: "http://127.0.0.1:8082/lag" },
  { group: "projection", topic: `${topicPrefix}events.committed`, lagUrl: "http://127.0.0.1:8083/lag" },
  { group: "notification", topic: `${topicPrefix}events.committed`, lagUrl: "http://127.0.0.1:8084/lag" },
];

interface EndpointGroup {
  group: string;
  topic: string;
  verdict?: string;
  lag?: number;
  lagSeconds?: number | null;
}

async function fetchLagEndpoint(url: string, fresh: boolean): Promise<EndpointGroup[] | null> {
  try {
    const res = await fetch(fresh ? `${url}?fresh=true` : url, { signal: AbortSignal.timeout(800) });
    if (!res.ok) return null;
    const body = (await res.json()) as { groups?: EndpointGroup[] };
    return Array.isArray(body.groups) ? body.groups : null;
  } catch {
    return null;
  }
}

// kafkajs arms timers with negative delays on current Node (harmless): keep that one warning
// off the terminal, let every other process warning through.
let warningFilter = false;
function quietKafkajsTimers(): void {
  if (warningFilter) return;
  warningFilter = true;
  const listeners = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    for (const listener of listeners) listener(warning);
  });
}

export class LagSampler {
  readonly samples: LagSample[] = [];
  private readonly admin: Admin;
  private connected = false;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private intervalMs = 1000;
  /** Per topic-partition: [t, high] whenever the high watermark moved. */
  private readonly highs = new Map<string, [number, number][]>();
  private readonly t0 = Date.now();
  lastError: string | null = null;

  private readonly groups: GroupSpec[];

  constructor(
    groups: GroupSpec[] = defaultGroups(),
    brokers: string[] = [process.env.KAFKA_BROKERS ?? "127.0.0.1:9092"],
  ) {
    this.groups = groups;
    quietKafkajsTimers();
    const kafka = new Kafka({ clientId: "eventscope-loadtests", brokers, logLevel: logLevel.NOTHING });
    this.admin = kafka.admin();
  }

  async start(intervalMs = 1000): Promise<void> {
    if (!this.connected) {
      await this.admin.connect();
      this.connected = true;
    }
    this.setInterval(intervalMs);
    await this.sample();
  }

  setInterval(intervalMs: number): void {
    this.intervalMs = intervalMs;
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.connected) await this.admin.disconnect().catch(() => undefined);
    this.connected = false;
  }

  latest(): LagSample | undefined {
    return this.samples.at(-1);
  }

  /** One sample now (skipped if the previous one is still running). */
  async sample(): Promise<LagSample | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    try {
      const t = Date.now();
      const topics = [...new Set(this.groups.map((g) => g.topic))];
      const [ends, committed, endpoint] = await Promise.all([
        Promise.all(topics.map(async (topic) => [topic, await this.admin.fetchTopicOffsets(topic)] as const)),
        Promise.all(
          this.groups.map(async (g) => {
            const r = await this.admin.fetchOffsets({ groupId: g.group, topics: [g.topic] });
            return r[0]?.partitions ?? [];
          }),
        ),
        this.endpointLag(),
      ]);
      const highByTopic = new Map(ends.map(([topic, parts]) => [topic, parts]));
      for (const [topic, parts] of ends) {
        for (const p of parts) this.noteHigh(`${topic}/${p.partition}`, t, Number(p.high));
      }
      const groups: GroupSample[] = this.groups.map((g, i) => {
        const done = new Map((committed[i] ?? []).map((p) => [p.partition, Number(p.offset)]));
        let lag = 0;
        let committedSum = 0;
        let highSum = 0;
        let oldest: number | null = null;
        for (const p of highByTopic.get(g.topic) ?? []) {
          const high = Number(p.high);
          const at = done.get(p.partition) ?? -1;
          const from = at < 0 ? Number(p.low) : at;
          const behind = Math.max(0, high - from);
          lag += behind;
          committedSum += from;
          highSum += high;
          if (behind > 0) {
            const seen = this.firstSeen(`${g.topic}/${p.partition}`, from);
            if (seen !== null) oldest = oldest === null ? seen : Math.min(oldest, seen);
          }
        }
        const fromEndpoint = endpoint?.find((e) => e.group === g.group && e.topic === g.topic);
        const lagSeconds =
          lag === 0
            ? 0
            : fromEndpoint && typeof fromEndpoint.lagSeconds === "number"
              ? fromEndpoint.lagSeconds
              : oldest === null
                ? null
                : Math.max(0, (t - oldest) / 1000);
        return {
          group: g.group,
          topic: g.topic,
          committed: committedSum,
          high: highSum,
          lag,
          lagSeconds,
          verdict: fromEndpoint?.verdict ?? null,
        };
      });
      const s: LagSample = { t, groups, source: endpoint ? "lag-endpoint" : "kafka-admin" };
      this.samples.push(s);
      this.lastError = null;
      return s;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  /** Sampling continues; resolves once every group's lag is zero, or null after `timeoutMs`. */
  async waitDrained(timeoutMs: number): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = (await this.sample()) ?? this.latest();
      if (s && s.groups.every((g) => g.lag === 0)) return s.t;
      await new Promise((r) => setTimeout(r, this.intervalMs));
    }
    return null;
  }

  private async endpointLag(): Promise<EndpointGroup[] | null> {
    const urls = [...new Set(this.groups.map((g) => g.lagUrl).filter((u): u is string => !!u))];
    // While the load runs, the services' own 1 s samples; after it (fast sampling, the drain) a
    // fresh one each time.
    const fresh = this.intervalMs < 1000;
    const answers = await Promise.all(urls.map((u) => fetchLagEndpoint(u, fresh)));
    const all = answers.flatMap((a) => a ?? []);
    return all.length > 0 ? all : null;
  }

  private noteHigh(key: string, t: number, high: number): void {
    let h = this.highs.get(key);
    if (!h) {
      h = [];
      this.highs.set(key, h);
    }
    const last = h.at(-1);
    if (!last || last[1] !== high) h.push([t, high]);
    if (h.length > 20_000) h.splice(0, h.length - 10_000);
  }

  /** When the message at `offset` was first seen in the log (the first sample whose high > offset). */
  private firstSeen(key: string, offset: number): number | null {
    const h = this.highs.get(key);
    if (!h || h.length === 0) return null;
    // Present before the sampler started: its age is at least the sampler's age.
    if (h[0]![1] > offset) return this.t0;
    let lo = 0;
    let hi = h.length - 1;
    if (h[hi]![1] <= offset) return null;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (h[mid]![1] > offset) hi = mid;
      else lo = mid + 1;
    }
    return h[lo]![0];
  }
}
