// What each OpenTelemetry instrumentation costs, and what it tells: the producer and the event
// store run as real processes (topics and a schema of their own, free ports, beside the stack)
// once per configuration, telemetry off, hand-made spans only, hand-made spans plus one
// instrumentation, and everything; a paced load of user-activity events goes through them; the
// figure is the CPU the two processes spent per event (from /proc, the load and the drain
// included), and the spans Jaeger holds for one event's trace. Configurations alternate within
// each round, so a change of the machine's steal shows in every one of them alike.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  createTopics,
  deleteTopics,
  dropSchema,
  request,
  startService,
  testPool,
  uniqueName,
  waitFor,
  type RunningProcess,
} from "@eventscope/testkit";
import { instrumentationNames } from "@eventscope/platform";
import { cpuSample, cpuShares } from "./machine.ts";
import { median, renderTable } from "./stats.ts";
import type { Benchmark, BenchContext, BenchResult } from "./types.ts";

/** DESIGN.md: telemetry may cost at most 10% (here: of the CPU an event costs without it). */
export const TELEMETRY_BUDGET = 0.1;

export interface Configuration {
  name: string;
  /** What it adds to the services' environment. */
  env: Record<string, string>;
}

const only = (...names: string[]): Record<string, string> =>
  names.length === 0
    ? { OTEL_NODE_DISABLED_INSTRUMENTATIONS: instrumentationNames.join(",") }
    : { OTEL_NODE_ENABLED_INSTRUMENTATIONS: names.join(",") };

export const configurations: Configuration[] = [
  { name: "off", env: { OTEL_SDK_DISABLED: "true" } },
  { name: "hand-made spans", env: only() },
  { name: "+ http", env: only("http") },
  { name: "+ http, express", env: only("http", "express") },
  { name: "+ pg", env: only("pg") },
  { name: "+ undici", env: only("undici") },
  { name: "+ pino", env: only("pino") },
  { name: "all", env: {} },
  // The export's encoding alone, and everything as telemetry ran before (the SDK's metrics and
  // logs pipelines, protobuf, 500 ms batches): the same run says what the settings of
  // telemetry.ts save.
  { name: "all but express", env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: "express" } },
  { name: "all, protobuf", env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" } },
  {
    name: "all, as before (SDK metrics, protobuf, 500 ms batches)",
    env: {
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf",
      OTEL_METRICS_EXPORTER: "otlp",
      OTEL_LOGS_EXPORTER: "otlp",
      OTEL_BSP_SCHEDULE_DELAY: "500",
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "1024",
      OTEL_BSP_MAX_QUEUE_SIZE: "8192",
    },
  },
];

export interface Measurement {
  configuration: string;
  round: number;
  accepted: number;
  /** Requests that did not get a 202 (errors, reset connections), and why. */
  failed: number;
  failures: Record<string, number>;
  /** CPU milliseconds of the producer and the event store, per accepted event. */
  cpuMsPerEvent: { producer: number; eventStore: number; total: number };
  /** Spans in Jaeger for the trace of the run's last event (0 with telemetry off). */
  spansPerEvent: number;
  /** The machine's busy and steal shares during the run, in percent. */
  machine: { busy: number; steal: number };
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process, in milliseconds. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const jaeger = process.env.JAEGER_QUERY_URL ?? "http://127.0.0.1:16686";

/** The spans Jaeger holds for a trace, once their count stopped growing (0 when none arrive). */
async function spansOf(traceId: string | undefined): Promise<number> {
  if (!traceId) return 0;
  const count = async () => {
    const res = await fetch(`${jaeger}/api/traces/${traceId}`).catch(() => undefined);
    if (!res || res.status !== 200) return 0;
    const body = (await res.json()) as { data?: { spans: unknown[] }[] };
    return body.data?.[0]?.spans.length ?? 0;
  };
  // The batch processor exports every 500 ms; Jaeger indexes a little later.
  let last = -1;
  for (let attempt = 0; attempt < 20; attempt++) {
    await sleep(750);
    const now = await count();
    if (now > 0 && now === last) return now;
    last = now;
  }
  return Math.max(last, 0);
}

interface Settings {
  rate: number;
  seconds: number;
  rounds: number;
  configurations: Configuration[];
}

function settings(quick: boolean): Settings {
  const env = process.env;
  return {
    rate: Number(env.INSTRUMENTATION_RATE ?? (quick ? 100 : 300)),
    seconds: Number(env.INSTRUMENTATION_SECONDS ?? (quick ? 4 : 10)),
    rounds: Number(env.INSTRUMENTATION_ROUNDS ?? (quick ? 1 : 2)),
    // INSTRUMENTATION_CONFIGS=off,all,... narrows the run (off is always kept: it is the reference).
    configurations: env.INSTRUMENTATION_CONFIGS
      ? configurations.filter(
          (c) =>
            c.name === "off" ||
            env.INSTRUMENTATION_CONFIGS!.split(",").some((n) => c.name.includes(n.trim())),
        )
      : configurations,
  };
}

/** One configuration: start both services, pace the load, wait for the store to drain it. */
async function measure(
  configuration: Configuration,
  round: number,
  s: Settings,
  log: (line: string) => void,
): Promise<Measurement> {
  // Topics, a schema and a group of its own: no run reads another's events or tables.
  const name = uniqueName("instr");
  const topics = await waitFor(() => createTopics(`${name}.`, 3), 60_000, "the run's topics");
  const env: Record<string, string> = {
    TOPIC_PREFIX: `${name}.`,
    DATABASE_SCHEMA: name,
    CONSUMER_GROUP: `${name}-event-store`,
    API_KEYS: "bench-key",
    LOG_LEVEL: "info",
    ...configuration.env,
  };
  const services: RunningProcess[] = [];
  try {
    const store = await startService("event-store", env);
    services.push(store);
    const producer = await startService("producer", env);
    services.push(producer);
    // A request that fails (a reset connection on a busy box) counts as not accepted.
    const failures = new Map<string, number>();
    const post = () =>
      request(`${producer.url}/api/events`, {
        body: { userId: `bench-${randomUUID().slice(0, 8)}`, eventType: "login", metadata: { bench: true } },
        headers: { "x-api-key": env.API_KEYS! },
      }).catch((error: Error) => {
        const cause = (error.cause as { code?: string } | undefined)?.code ?? error.name;
        failures.set(cause, (failures.get(cause) ?? 0) + 1);
        return undefined;
      });
    // Warm up (JIT, pools, Kafka connections), then drain, before the measured window.
    await Promise.all(Array.from({ length: 50 }, post));
    await drained(store);

    const before = { producer: cpuMs(producer.pid), store: cpuMs(store.pid), machine: cpuSample() };
    const ticks = s.seconds * 20;
    const perTick = s.rate / 20;
    const sent: ReturnType<typeof post>[] = [];
    const started = performance.now();
    for (let tick = 0; tick < ticks; tick++) {
      for (let i = Math.floor(tick * perTick); i < Math.floor((tick + 1) * perTick); i++) sent.push(post());
      const next = started + (tick + 1) * 50;
      await sleep(Math.max(0, next - performance.now()));
    }
    const answers = await Promise.all(sent);
    await drained(store);
    // The export of the last spans belongs to the run (the batch processor exports every second).
    await sleep(1500);
    const after = { producer: cpuMs(producer.pid), store: cpuMs(store.pid), machine: cpuSample() };
    const accepted = answers.filter((a) => a?.status === 202).map((a) => a!);
    const last = accepted.at(-1)?.headers.get("traceparent")?.split("-")[1];
    const n = Math.max(accepted.length, 1);
    const producerMs = (after.producer - before.producer) / n;
    const storeMs = (after.store - before.store) / n;
    const shares = cpuShares(before.machine, after.machine);
    const m: Measurement = {
      configuration: configuration.name,
      round,
      accepted: accepted.length,
      failed: answers.length - accepted.length,
      failures: {
        ...Object.fromEntries(failures),
        ...Object.fromEntries(
          [...new Set(answers.filter((a) => a && a.status !== 202).map((a) => a!.status))].map((status) => [
            `HTTP ${status}`,
            answers.filter((a) => a?.status === status).length,
          ]),
        ),
      },
      cpuMsPerEvent: { producer: producerMs, eventStore: storeMs, total: producerMs + storeMs },
      spansPerEvent: configuration.name === "off" ? 0 : await spansOf(last),
      machine: { busy: 100 - shares.idle - shares.iowait, steal: shares.steal },
    };
    log(
      `  ${configuration.name.padEnd(18)} round ${round}: ${m.accepted} accepted, ${m.failed} failed ${JSON.stringify(m.failures)}, ` +
        `${m.cpuMsPerEvent.total.toFixed(3)} ms CPU/event (producer ${producerMs.toFixed(3)}, ` +
        `event store ${storeMs.toFixed(3)}), ${m.spansPerEvent} spans, steal ${shares.steal}%`,
    );
    return m;
  } finally {
    for (const service of services) await service.kill();
    const pool = testPool();
    await dropSchema(pool, name).finally(() => pool.end());
    await deleteTopics(topics);
  }
}

async function drained(store: RunningProcess): Promise<void> {
  await waitFor(
    async () => {
      const res = await request(`${store.url}/lag?fresh=true`);
      const groups = (res.body?.groups ?? []) as { lag?: number }[];
      return groups.length > 0 && groups.every((g) => g.lag === 0);
    },
    120_000,
    "the event store to drain its topic",
  );
}

export interface Row {
  configuration: string;
  cpuMsPerEvent: number;
  /** Against telemetry off: what telemetry as configured costs. */
  overOff: number;
  /** Against hand-made spans only: what the instrumentation adds. */
  overHandMade: number;
  spansPerEvent: number;
}

/** Medians per configuration, each against "off" and against "hand-made spans". */
export function summarize(measurements: readonly Measurement[]): Row[] {
  const byName = new Map<string, Measurement[]>();
  for (const m of measurements) byName.set(m.configuration, [...(byName.get(m.configuration) ?? []), m]);
  const cpu = (name: string) => median((byName.get(name) ?? []).map((m) => m.cpuMsPerEvent.total));
  const off = cpu("off");
  const handMade = cpu("hand-made spans");
  return [...byName.keys()].map((name) => ({
    configuration: name,
    cpuMsPerEvent: cpu(name),
    overOff: cpu(name) / off - 1,
    overHandMade: cpu(name) / handMade - 1,
    spansPerEvent: median((byName.get(name) ?? []).map((m) => m.spansPerEvent)),
  }));
}

const pct = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%` : "-");

export const benchmark: Benchmark = {
  name: "instrumentation-cost",
  description:
    "CPU per event of the producer and the event store with telemetry off, hand-made spans only, each OpenTelemetry instrumentation added alone, and all of them",
  async run(context: BenchContext): Promise<BenchResult> {
    const s = settings(context.quick);
    const measurements: Measurement[] = [];
    for (let round = 1; round <= s.rounds; round++) {
      // Alternate the order between rounds, so no configuration always runs first.
      const order = round % 2 === 1 ? s.configurations : [...s.configurations].reverse();
      for (const c of order) measurements.push(await measure(c, round, s, (line) => context.log(line)));
    }
    const rows = summarize(measurements);
    const all = rows.find((r) => r.configuration === "all");
    const report = [
      renderTable(
        ["configuration", "CPU ms/event", "vs off", "vs hand-made", "spans/event"],
        rows.map((r) => [
          r.configuration,
          r.cpuMsPerEvent.toFixed(3),
          pct(r.overOff),
          pct(r.overHandMade),
          String(r.spansPerEvent),
        ]),
      ),
      `telemetry as shipped (all) costs ${pct(all?.overOff ?? Number.NaN)} of the CPU per event (budget ${pct(TELEMETRY_BUDGET)})`,
    ].join("\n");
    return {
      name: "instrumentation-cost",
      description: benchmark.description,
      config: { ...s, services: ["producer", "event-store"] },
      report,
      data: { measurements, rows },
    };
  },
};
