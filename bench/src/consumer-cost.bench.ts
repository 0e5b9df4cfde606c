// What one batch costs a consuming service and PostgreSQL. Each consuming service runs as a real
// process on topics and a schema of its own, connected as a PostgreSQL role of its own (so that
// pg_stat_statements and pg_stat_activity name its statements and backends alone, whatever else
// shares the server); N events are fed to its input topic at a fixed rate (ingest records for the
// event store, committed events for the others); the figures are the service's CPU per event
// (/proc), its PostgreSQL backends' CPU per event (/proc of the backends of its role), statements
// and transactions per batch (pg_stat_statements) and batches (its consume-duration histogram).
// CONSUMER_COST_BASELINE=<commit> runs that commit's services beside the working tree's,
// alternating, so a change is measured against its parent in one run.
// Figures, not a test: BENCH=consumer-cost make bench (QUICK=1: 200/s for 3 s, one run).
import { randomUUID } from "node:crypto";
import kafkajs from "kafkajs";
import type pg from "pg";
import { toKafkaRecord, type CommittedEvent, type EventEnvelope } from "@eventscope/contracts";
import {
  brokers,
  consumedAll,
  createTopics,
  deleteTopics,
  dropSchema,
  testPool,
  uniqueName,
  waitFor,
} from "@eventscope/testkit";
import {
  backendCpuMs,
  baselineRoot,
  processCpuMs,
  startConsumer,
  type Consumer,
} from "./consumer/process.ts";
import { median } from "./stats.ts";
import type { Benchmark, BenchResult } from "./types.ts";

const description =
  "consuming services: CPU per event of the service and of its PostgreSQL backends, statements and transactions per batch";
const SERVICES = ["event-store", "projection", "notification", "process-manager"] as const;
type Service = (typeof SERVICES)[number];
const STREAMS = 50;
const TICK_MS = 20;
const IDLE_MS = 3000;
/** Set when the benchmark is interrupted: the feed stops sending. */
let stopping = false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunFigures {
  events: number;
  batches: number;
  serviceCpuMsPerEvent: number;
  postgresCpuMsPerEvent: number;
  statementsPerBatch: number;
  transactionsPerBatch: number;
  eventsPerBatch: number;
  drainMs: number;
  /** The statements of the run by calls, most first (texts cut to 100 characters). */
  top: { calls: number; meanMs: number; query: string }[];
}

interface Statement {
  calls: number;
  totalMs: number;
  query: string;
}

async function statementsOf(pool: pg.Pool, role: string): Promise<Map<string, Statement>> {
  const { rows } = await pool.query<{ id: string; calls: string; total: number; query: string }>(
    `SELECT queryid::text AS id, calls, total_exec_time AS total, query FROM pg_stat_statements s
     JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = $1`,
    [role],
  );
  return new Map(rows.map((r) => [r.id, { calls: Number(r.calls), totalMs: r.total, query: r.query }]));
}

async function batchesOf(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("event_consume_duration_seconds_count"))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
}

let position = 0;
/** The i-th event of a run: user-activity events round-robin over STREAMS users of the run. */
function eventOf(service: Service, run: string, i: number): EventEnvelope | CommittedEvent {
  const now = new Date().toISOString();
  const userId = `${run}-u${i % STREAMS}`;
  const base: EventEnvelope = {
    eventId: randomUUID(),
    eventType: i % 3 === 0 ? "login" : "page_view",
    aggregateType: "User",
    aggregateId: userId,
    timestamp: now,
    data: { page: `/p/${i % 17}` },
    metadata: { correlationId: randomUUID(), source: "consumer-cost-bench", userId, acceptedAt: now },
  };
  if (service === "event-store") return base;
  return { ...base, version: Math.floor(i / STREAMS) + 1, position: String(++position), storedAt: now };
}

async function feed(
  producer: kafkajs.Producer,
  topic: string,
  service: Service,
  rate: number,
  seconds: number,
): Promise<number> {
  const run = randomUUID().slice(0, 8);
  const total = rate * seconds;
  const started = performance.now();
  let sent = 0;
  const pending: Promise<unknown>[] = [];
  while (sent < total && !stopping) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    const messages = [];
    for (; sent < due; sent++) messages.push(toKafkaRecord(eventOf(service, run, sent)));
    if (messages.length > 0) pending.push(producer.send({ topic, acks: -1, messages }));
    await sleep(TICK_MS);
  }
  const sends = await Promise.allSettled(pending);
  if (stopping) throw new Error("interrupted");
  const failed = sends.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return total;
}

async function measure(
  consumer: Consumer,
  producer: kafkajs.Producer,
  pool: pg.Pool,
  rate: number,
  seconds: number,
): Promise<RunFigures> {
  const { service, topic, groupId, role } = consumer;
  // What the service sends while idle (its gauges, timers, lag probe) is measured over IDLE_MS
  // first and taken off the run's counts: the statements per batch are the batches' own.
  const idle0 = await statementsOf(pool, role);
  await sleep(IDLE_MS);
  const statements0 = await statementsOf(pool, role);
  const idleRate = (id: string) =>
    ((statements0.get(id)?.calls ?? 0) - (idle0.get(id)?.calls ?? 0)) / IDLE_MS;
  const batches0 = await batchesOf(consumer.url);
  const cpu0 = processCpuMs(consumer.pid());
  const backends = await backendCpuMs(pool, role);
  const started = performance.now();
  const events = await feed(producer, topic, service as Service, rate, seconds);
  await waitFor(() => consumedAll(groupId, topic), 120_000, `${service} to drain`);
  const drainMs = Math.round(performance.now() - started - seconds * 1000);
  const cpu1 = processCpuMs(consumer.pid());
  const postgresMs = await backends.stop();
  const batches = (await batchesOf(consumer.url)) - batches0;
  const statements1 = await statementsOf(pool, role);
  const runMs = performance.now() - started;
  const deltas = [...statements1].map(([id, s]) => {
    const before = statements0.get(id);
    return {
      calls: Math.max(0, s.calls - (before?.calls ?? 0) - Math.round(idleRate(id) * runMs)),
      totalMs: s.totalMs - (before?.totalMs ?? 0),
      query: s.query,
    };
  });
  const calls = deltas.reduce((sum, d) => sum + d.calls, 0);
  const callsOf = (test: (query: string) => boolean) =>
    deltas.filter((d) => test(d.query)).reduce((sum, d) => sum + d.calls, 0);
  const commits = callsOf((q) => /^\s*COMMIT/i.test(q));
  const perBatch = (n: number) => Number((n / Math.max(1, batches)).toFixed(2));
  return {
    events,
    batches,
    serviceCpuMsPerEvent: Number(((cpu1 - cpu0) / events).toFixed(3)),
    postgresCpuMsPerEvent: Number((postgresMs / events).toFixed(3)),
    // Every statement is a round trip, BEGIN and COMMIT included (a statement outside a
    // transaction commits too, but pg_stat_statements cannot tell it: transactions count COMMITs).
    statementsPerBatch: perBatch(calls),
    transactionsPerBatch: perBatch(commits),
    eventsPerBatch: perBatch(events),
    drainMs,
    top: deltas
      .filter((d) => d.calls > 0)
      .sort((a, b) => b.calls - a.calls)
      .slice(0, 12)
      .map((d) => ({
        calls: d.calls,
        meanMs: Number((d.totalMs / d.calls).toFixed(3)),
        query: d.query.replace(/\s+/g, " ").slice(0, 100),
      })),
  };
}

export const benchmark: Benchmark = {
  name: "consumer-cost",
  description,
  async run(ctx): Promise<BenchResult> {
    const rates = ctx.quick ? [200] : (process.env.CONSUMER_COST_RATES ?? "200,1000").split(",").map(Number);
    const seconds = Number(process.env.CONSUMER_COST_SECONDS ?? (ctx.quick ? 3 : 10));
    const runs = ctx.quick ? 1 : Number(process.env.CONSUMER_COST_RUNS ?? 3);
    const services = (process.env.CONSUMER_COST_SERVICES ?? SERVICES.join(","))
      .split(",")
      .map((s) => s.trim())
      .filter((s): s is Service => (SERVICES as readonly string[]).includes(s));
    const baseline = process.env.CONSUMER_COST_BASELINE;
    // CONSUMER_COST_CANDIDATE=<commit> measures that commit instead of the working tree, so that
    // others' uncommitted changes do not take part.
    const candidate = process.env.CONSUMER_COST_CANDIDATE;
    const variants: { label: string; root: string | undefined }[] = [
      candidate
        ? { label: `commit ${candidate.slice(0, 12)}`, root: await baselineRoot(candidate) }
        : { label: "working tree", root: undefined },
    ];
    if (baseline)
      variants.unshift({ label: `baseline ${baseline.slice(0, 12)}`, root: await baselineRoot(baseline) });

    const name = uniqueName("ccost");
    const pool = testPool();
    const database = (await pool.query<{ d: string }>("SELECT current_database() AS d")).rows[0]!.d;
    // A role per service and variant: the others, idle meanwhile, stay out of its figures.
    const roles: string[] = [];
    const newRole = async (role: string) => {
      roles.push(role);
      await pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${role}'`);
      await pool.query(`GRANT CREATE ON DATABASE ${database} TO ${role}`);
      return role;
    };
    const consumers: Consumer[] = [];
    const topicSets: Awaited<ReturnType<typeof createTopics>>[] = [];
    const kafka = new kafkajs.Kafka({ clientId: name, brokers, logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    let cleaned: Promise<void> | undefined;
    // Once: on an interrupt the feed stops first, and the run's own finally finds it done.
    const cleanup = () => (cleaned ??= cleanUp());
    const cleanUp = async () => {
      stopping = true;
      await sleep(2 * TICK_MS);
      await Promise.allSettled(consumers.map((c) => c.kill()));
      await producer.disconnect().catch(() => {});
      for (const c of consumers) await dropSchema(pool, c.schema).catch(() => {});
      for (const t of topicSets) await deleteTopics(t);
      for (const role of roles) {
        await pool.query(`DROP OWNED BY ${role}`).catch(() => {});
        await pool.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
      }
      await pool.end();
    };
    const unregister = ctx.onInterrupt(cleanup);
    const figures = new Map<string, RunFigures[]>();
    try {
      await producer.connect();
      for (const [v, variant] of variants.entries())
        for (const service of services) {
          const prefix = `${name}${v}${service.slice(0, 2)}.`;
          const topics = await createTopics(prefix);
          topicSets.push(topics);
          consumers.push(
            await startConsumer({
              service,
              label: variant.label,
              root: variant.root,
              prefix,
              topic: service === "event-store" ? topics.ingest : topics.committed,
              schema: `${name}_${v}_${service.replaceAll("-", "_")}`,
              role: await newRole(`${name}_${v}_${service.replaceAll("-", "_")}_role`),
            }),
          );
        }
      ctx.log(`started ${consumers.map((c) => `${c.service} (${c.label})`).join(", ")}`);
      // A first short feed warms each service up (JIT, connections, group join) before figures.
      for (const c of consumers) await measure(c, producer, pool, 100, 1);
      for (let run = 0; run < runs; run++)
        for (const rate of rates)
          for (const service of services)
            for (const c of consumers.filter((x) => x.service === service)) {
              const f = await measure(c, producer, pool, rate, seconds);
              const key = `${service}\0${c.label}\0${rate}`;
              figures.set(key, [...(figures.get(key) ?? []), f]);
              ctx.log(
                `run ${run + 1}/${runs} ${service} (${c.label}) ${rate}/s: service ${f.serviceCpuMsPerEvent} ms/event, PostgreSQL ${f.postgresCpuMsPerEvent} ms/event, ${f.eventsPerBatch} events, ${f.statementsPerBatch} statements, ${f.transactionsPerBatch} transactions per batch`,
              );
            }
    } finally {
      unregister();
      await cleanup();
    }

    const rows: Record<string, unknown>[] = [];
    const lines = [
      `${seconds} s at each rate, ${STREAMS} user streams a run, user-activity events; medians of ${runs} alternating run(s)`,
      "service          variant                rate  svc ms/ev  pg ms/ev  ev/batch  stmts/batch  txns/batch",
    ];
    for (const service of services)
      for (const rate of rates)
        for (const variant of variants) {
          const fs = figures.get(`${service}\0${variant.label}\0${rate}`) ?? [];
          const m = (pick: (f: RunFigures) => number) => Number(median(fs.map(pick)).toFixed(3));
          const row = {
            service,
            variant: variant.label,
            rate,
            serviceCpuMsPerEvent: m((f) => f.serviceCpuMsPerEvent),
            postgresCpuMsPerEvent: m((f) => f.postgresCpuMsPerEvent),
            eventsPerBatch: m((f) => f.eventsPerBatch),
            statementsPerBatch: m((f) => f.statementsPerBatch),
            transactionsPerBatch: m((f) => f.transactionsPerBatch),
            runs: fs,
          };
          rows.push(row);
          lines.push(
            `${service.padEnd(16)} ${variant.label.padEnd(21)} ${String(rate).padStart(5)}  ${String(row.serviceCpuMsPerEvent).padStart(9)}  ${String(row.postgresCpuMsPerEvent).padStart(8)}  ${String(row.eventsPerBatch).padStart(8)}  ${String(row.statementsPerBatch).padStart(11)}  ${String(row.transactionsPerBatch).padStart(13)}`,
          );
        }
    const report = lines.join("\n");
    return {
      name: "consumer-cost",
      description,
      config: {
        rates,
        seconds,
        runs,
        services,
        streams: STREAMS,
        baseline: baseline ?? null,
        candidate: candidate ?? null,
      },
      report,
      data: rows,
    };
  },
};
