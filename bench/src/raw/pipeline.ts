// The raw pipeline: the physical floor of Eventscope's shape on this box, measured by the same
// generator at the same rates as Eventscope's pipeline runs. Three processes (ingest.ts,
// store.ts, read-model.ts) with topics, groups and a schema of their own, all removed afterwards;
// vegeta through the harness's runAttack (open model); CPU per part from the harness's /proc
// sampler (the three processes, Kafka, PostgreSQL); lag from the broker after each load; the
// count check and accepted -> read model latency from the tables.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { loadavg } from "node:os";
import { Admin } from "@platformatic/kafka";
import pg from "pg";
import { CpuSampler } from "../../../loadtests/src/cpu.ts";
import { LoadMetrics } from "../../../loadtests/src/native/metrics.ts";
import { Recorder } from "../../../loadtests/src/native/recorder.ts";
import { runAttack } from "../../../loadtests/src/native/vegeta.ts";
import { planFor, seconds } from "../../../loadtests/scenarios/lib/model.ts";
import { cpuByPart } from "../pipeline/figures.ts";
import { runDir } from "../pipeline/stack.ts";
import type { BenchContext } from "../types.ts";
import {
  achievedRate,
  cpuMsPerEvent,
  cpuMsPerEventByPart,
  firstDrained,
  ledgerOf,
  RAW_PARTS,
  type Counts,
  type Ledger,
} from "./figures.ts";
import { isRawSchema, schemaSql } from "./schema.ts";
import { topologyFor, toEnv, type Topology } from "./topology.ts";
import { groupLag } from "./kafka.ts";

export interface RawLoad {
  /** What the load stands for beside Eventscope's runs. */
  workload: "fixed" | "latency" | "saturating";
  rate: number;
  duration: string;
}

export interface RawSettings {
  loads: RawLoad[];
  runs: number;
  warmUpEvents: number;
  idleSeconds: number;
}

export interface RawRun {
  workload: RawLoad["workload"];
  runId: string;
  offered: string;
  rate: number;
  accepted: number;
  unanswered: number;
  /** Requests the generator could not start in time (all its workers busy). */
  dropped: number;
  /** Answers other than 202. */
  failed: number;
  achievedRate: number;
  /** Accepted / seconds from the first request until both groups' lag was zero. */
  pipelineRate: number;
  httpP50Ms: number | null;
  httpP99Ms: number | null;
  /** The acceptance stamp to the read-model row's write time, every event of the run. */
  e2eP50Ms: number | null;
  e2eP99Ms: number | null;
  drainSeconds: number | null;
  counts: Counts;
  ledger: Ledger;
  /** Mean CPU per part over the load, percent of one core (machine: both cores, 200). */
  cpu: Record<string, number>;
  cpuMsPerEvent: number;
  cpuMsPerEventByPart: Record<string, number>;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}

export interface RawResult {
  topology: Omit<Topology, "databaseUrl">;
  /** The parts' CPU with no load (idle groups polling), percent of one core. */
  idleCpu: Record<string, number>;
  warmUpAccepted: number;
  runs: RawRun[];
  cleanedUp: string;
}

const la = () => loadavg().map((l) => Math.round(l * 100) / 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits;

const PROCESSES = [
  { part: "raw-ingest", file: "ingest.ts" },
  { part: "raw-store", file: "store.ts" },
  { part: "raw-read-model", file: "read-model.ts" },
] as const;

interface Started {
  part: string;
  child: ChildProcess;
  port: number | null;
}

/** Starts one of the processes and waits for its ready line. */
function start(part: string, file: string, env: Record<string, string>, log: (l: string) => void) {
  return new Promise<Started>((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, file)], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => reject(new Error(`${part} was not ready after 60 s`)), 60_000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; port?: number | null };
        if (msg.ready) {
          clearTimeout(timer);
          resolve({ part, child, port: msg.port ?? null });
        }
      } catch {
        /* not the ready line */
      }
    });
    createInterface({ input: child.stderr }).on("line", (line) => log(`  ${part}: ${line}`));
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${part} exited (${signal ?? code}) before it was ready`));
    });
  });
}

export async function runRawPipeline(ctx: BenchContext, s: RawSettings): Promise<RawResult> {
  const tag = Date.now().toString(36);
  const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
  const t = topologyFor(tag, brokers, ctx.connectionString);
  if (!isRawSchema(t.schema)) throw new Error(`unexpected schema name ${t.schema}`);
  const admin = new Admin({ clientId: "raw-bench-admin", bootstrapBrokers: brokers, retries: 3 });
  const db = new pg.Client({ connectionString: ctx.connectionString, application_name: "raw-bench" });
  const started: Started[] = [];
  let cleanedUp = "not yet";
  let exited: string | null = null;
  let result: RawResult;

  // Once, whether called by an interrupt or at the end.
  let cleaning: Promise<void> | null = null;
  const cleanup = () => (cleaning ??= removeAll());
  const removeAll = async () => {
    for (const p of started) if (p.child.exitCode === null) p.child.kill("SIGTERM");
    await Promise.all(
      started.map((p) =>
        p.child.exitCode === null
          ? Promise.race([new Promise((r) => p.child.once("exit", r)), sleep(5000)])
          : Promise.resolve(),
      ),
    );
    for (const p of started) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    const done: string[] = [];
    await db
      .query(`DROP SCHEMA IF EXISTS ${t.schema} CASCADE`)
      .then(() => done.push(`schema ${t.schema} dropped`))
      .catch((e: unknown) => done.push(`schema ${t.schema} NOT dropped: ${String(e)}`));
    await admin
      .deleteTopics({ topics: [t.ingestTopic, t.committedTopic] })
      .then(() => done.push("topics deleted"))
      .catch((e: unknown) => done.push(`topics NOT deleted: ${String(e)}`));
    await admin
      .deleteGroups({ groups: [t.storeGroup, t.readGroup] })
      .then(() => done.push("groups deleted"))
      .catch((e: unknown) => done.push(`groups NOT deleted: ${String(e)}`));
    await db.end().catch(() => {});
    await admin.close().catch(() => {});
    cleanedUp = done.join(", ");
  };
  const unregister = ctx.onInterrupt(cleanup);

  try {
    await db.connect();
    await db.query(schemaSql(t.schema));
    await admin.createTopics({
      topics: [t.ingestTopic, t.committedTopic],
      partitions: t.partitions,
      replicas: -1,
    });
    await waitForLeaders(admin, [t.ingestTopic, t.committedTopic]);
    const env = toEnv(t);
    for (const p of PROCESSES) {
      const one = await start(p.part, p.file, env, (line) => ctx.log(line));
      started.push(one);
      one.child.on("exit", (code, signal) => (exited ??= `${p.part} exited (${signal ?? code})`));
    }
    const port = started[0]!.port;
    if (!port) throw new Error("the ingest server did not say its port");
    const url = `http://127.0.0.1:${port}`;
    ctx.log(
      `raw pipeline: ${url} -> ${t.ingestTopic} -> ${t.storeGroup} (${t.schema}.raw_events) -> ${t.committedTopic} -> ${t.readGroup} (${t.schema}.raw_activity)`,
    );

    const lag = async () =>
      (await groupLag(admin, t.storeGroup, t.ingestTopic, t.partitions)) +
      (await groupLag(admin, t.readGroup, t.committedTopic, t.partitions));
    const waitDrained = async (timeoutMs: number, pollMs = 200) => {
      const samples: { t: number; lag: number }[] = [];
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const at = Date.now();
        const l = await lag().catch(() => Number.NaN);
        samples.push({ t: at, lag: l });
        if (l === 0) return samples;
        if (exited) throw new Error(exited);
        await sleep(pollMs);
      }
      return samples;
    };

    // Warm-up: JIT, connections, the groups' assignment; then the idle cost of the parts.
    const warmUpAccepted = await warmUp(url, s.warmUpEvents);
    await waitDrained(60_000);
    const idle = new CpuSampler(runDir);
    for (const p of started) idle.follow(p.part, p.child.pid);
    const idleFrom = Date.now();
    idle.start(1000);
    await sleep(s.idleSeconds * 1000 + 100);
    idle.stop();
    const idleCpu = cpuByPart(idle.toSeries(), idleFrom, Date.now());
    ctx.log(
      `  idle ${s.idleSeconds} s: ${RAW_PARTS.map((p) => `${p} ${idleCpu[p] ?? "?"}%`).join(", ")}; warm-up ${warmUpAccepted}/${s.warmUpEvents} accepted`,
    );

    const runs: RawRun[] = [];
    for (let i = 0; i < s.runs; i++) {
      for (const load of s.loads) {
        if (exited) throw new Error(exited);
        const run = await measureLoad(
          ctx,
          t,
          db,
          started,
          url,
          load,
          `raw-${tag}-${runs.length + 1}`,
          waitDrained,
        );
        runs.push(run);
      }
    }
    const { databaseUrl: _url, ...topology } = t;
    result = { topology, idleCpu, warmUpAccepted, runs, cleanedUp };
  } finally {
    await cleanup();
    unregister();
    ctx.log(`  raw pipeline cleaned up: ${cleanedUp}`);
  }
  return { ...result, cleanedUp };
}

async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const metadata = await admin.metadata({ topics, forceUpdate: true }).catch(() => null);
    const led = topics.every((name) => {
      const m = metadata?.topics.get(name);
      return m !== undefined && m.partitions.length > 0 && m.partitions.every((p) => p.leader >= 0);
    });
    if (led) return;
    await sleep(100);
  }
}

/** Posts `events` user-activity events, 16 at a time, straight to the ingest server. */
async function warmUp(url: string, events: number): Promise<number> {
  let next = 0;
  let accepted = 0;
  const worker = async () => {
    while (next < events) {
      const i = next++;
      try {
        const res = await fetch(`${url}/api/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ userId: `bench-warmup-u${i % 50}`, eventType: "page_view", metadata: {} }),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status === 202) accepted++;
        await res.arrayBuffer();
      } catch {
        /* a warm-up request that fails is not a measurement */
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return accepted;
}

async function measureLoad(
  ctx: BenchContext,
  t: Topology,
  db: pg.Client,
  started: Started[],
  url: string,
  load: RawLoad,
  runId: string,
  waitDrained: (timeoutMs: number) => Promise<{ t: number; lag: number }[]>,
): Promise<RawRun> {
  const secs = seconds(load.duration);
  const plan = planFor("load", {
    RATE: String(load.rate),
    DURATION: load.duration,
    PRODUCER_URL: url,
    PROJECTION_URL: url,
    RUN_ID: runId,
  });
  const recorder = new Recorder(plan, new LoadMetrics({}));
  const cpu = new CpuSampler(runDir);
  for (const p of started) cpu.follow(p.part, p.child.pid);
  const warnings: string[] = [];
  const loadAverageBefore = la();
  cpu.start(1000);
  await sleep(1100); // a first CPU sample before the load
  const loadStart = Date.now();
  recorder.t0 = loadStart;
  const attack = runAttack(
    0,
    { at: 0, seconds: secs, rate: load.rate },
    {
      plan,
      recorder,
      scenario: "load",
      warnings,
      onCpu: () => undefined,
      onStart: (child) => cpu.follow("vegeta", child.pid),
    },
  );
  await attack.done;
  const loadEnd = Date.now();
  const samples = await waitDrained(120_000);
  await sleep(1100); // the sample that covers the drain's last second
  cpu.stop();
  const drained = firstDrained(samples, loadEnd);

  const summary = recorder.summary();
  const writes = summary["http_req_duration{kind:write}"]?.values ?? {};
  const accepted = summary.events_accepted?.values.count ?? 0;
  const unanswered = summary.writes_unanswered?.values.count ?? 0;
  const failed = summary["http_req_failed{kind:write}"]?.values.passes ?? 0;
  const counts = await countsOf(db, t.schema, plan.prefix, accepted, unanswered);
  const e2e = await e2eOf(db, t.schema, plan.prefix);
  const cpuParts = cpuByPart(cpu.toSeries(), loadStart, loadEnd);
  const windowMs = loadEnd - loadStart;
  const run: RawRun = {
    workload: load.workload,
    runId,
    offered: `${load.rate}/s for ${load.duration}`,
    rate: load.rate,
    accepted,
    unanswered,
    dropped: summary.dropped_iterations?.values.count ?? 0,
    failed,
    achievedRate: Math.round(achievedRate(accepted, loadStart, loadEnd)),
    pipelineRate: drained === null ? Number.NaN : Math.round(accepted / ((drained - loadStart) / 1000)),
    httpP50Ms: round(writes.med, 2),
    httpP99Ms: round(writes["p(99)"], 2),
    e2eP50Ms: round(e2e.p50, 2),
    e2eP99Ms: round(e2e.p99, 2),
    drainSeconds: drained === null ? null : round((drained - loadEnd) / 1000, 2),
    counts,
    ledger: ledgerOf(counts),
    cpu: cpuParts,
    cpuMsPerEvent: round(cpuMsPerEvent(cpuParts, RAW_PARTS, windowMs, accepted), 3) ?? Number.NaN,
    cpuMsPerEventByPart: cpuMsPerEventByPart(cpuParts, RAW_PARTS, windowMs, accepted),
    loadAverageBefore,
    loadAverageAfter: la(),
  };
  for (const w of warnings.slice(0, 3)) ctx.log(`  ${w}`);
  ctx.log(
    `  raw ${load.workload.padEnd(10)} ${runId}: ${run.offered}: ${run.achievedRate}/s accepted (${run.dropped} dropped, ${run.failed} failed), pipeline ${run.pipelineRate}/s, HTTP p50 ${run.httpP50Ms} p99 ${run.httpP99Ms} ms, e2e p50 ${run.e2eP50Ms} p99 ${run.e2eP99Ms} ms, drain ${run.drainSeconds ?? "-"} s, ` +
      `lost ${run.ledger.lost}, dup ${run.ledger.duplicated}; CPU ${run.cpuMsPerEvent} ms/event (${RAW_PARTS.map((p) => `${p} ${cpuParts[p] ?? "?"}%`).join(", ")}; machine ${cpuParts.machine ?? "?"}%, vegeta ${cpuParts.vegeta ?? "?"}%, other ${cpuParts.other ?? "?"}%); load ${run.loadAverageAfter.join(" ")}`,
  );
  return run;
}

async function countsOf(
  db: pg.Client,
  schema: string,
  prefix: string,
  accepted: number,
  unanswered: number,
): Promise<Counts> {
  const mine = "left(user_id, length($1)) = $1";
  const stored = await db.query<{ stored: number; distinct: number }>(
    `SELECT count(*)::int AS stored, count(DISTINCT event_id)::int AS distinct FROM ${schema}.raw_events WHERE ${mine}`,
    [prefix],
  );
  const projected = await db.query<{ projected: number; applied: number }>(
    `SELECT count(*)::int AS projected, coalesce(sum(applied), 0)::int AS applied FROM ${schema}.raw_activity WHERE ${mine}`,
    [prefix],
  );
  return {
    accepted,
    unanswered,
    stored: stored.rows[0]!.stored,
    storedDistinct: stored.rows[0]!.distinct,
    projected: projected.rows[0]!.projected,
    applied: projected.rows[0]!.applied,
  };
}

async function e2eOf(db: pg.Client, schema: string, prefix: string): Promise<{ p50: number; p99: number }> {
  const { rows } = await db.query<{ p50: number | null; p99: number | null }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
       FROM (SELECT extract(epoch FROM applied_at) * 1000 - accepted_at_ms AS ms
               FROM ${schema}.raw_activity WHERE left(user_id, length($1)) = $1) AS l`,
    [prefix],
  );
  return { p50: rows[0]?.p50 ?? Number.NaN, p99: rows[0]?.p99 ?? Number.NaN };
}
