// The whole pipeline on this box, against DESIGN.md's performance targets: telemetry on vs off,
// latency and drain at 1,000 events/s, the throughput knee (a ramp), and the resident memory of
// the native stack after a load. Every load is a run of the load harness (@eventscope/loadtests)
// on the engine ENGINE chooses (native by default, k6 where the user has it), with the engine,
// the runner and the whole stack co-located, as the targets are stated.
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { runScenario, type Report, type RunFigures, type ScenarioName } from "@eventscope/loadtests";
import { cpuSample, cpuShares } from "./machine.ts";
import { median, renderTable } from "./stats.ts";
import {
  busiestParts,
  cpuByPart,
  describeVerdict,
  formatValue,
  mediansByName,
  pipelineRate,
  telemetryOrder,
  againstRaw,
  cpuOfParts,
  verdict,
  type Verdict,
} from "./pipeline/figures.ts";
import { runRawPipeline, type RawLoad, type RawResult, type RawRun } from "./raw/pipeline.ts";
import { memorySnapshot, STACK_PARTS, type MemorySnapshot } from "./pipeline/memory.ts";
import {
  restartServices,
  SERVICES,
  servicesReady,
  telemetryState,
  testRunPids,
  waitForTests,
  waitLagZero,
  warmUp,
} from "./pipeline/stack.ts";
import type { Benchmark, BenchContext, BenchResult } from "./types.ts";

/** DESIGN.md, performance targets. */
export const TARGETS = {
  sustainedRate: 3000,
  /** The SLOs are stated at 1,000 events/s, so the knee must be at least there. */
  knee: 1000,
  httpP99Ms: 15,
  e2eP99Ms: 100,
  drainSeconds: 2,
  telemetryCost: 0.1,
  memoryMiB: 2048,
  /** The harness's thresholds at 1,000/s (loadtests/scenarios/lib/slo.ts and run.ts). */
  errorRate: 0.001,
  offeredShare: 0.95,
  /** Issue #11: against the raw pipeline measured in the same run. */
  cpuPerEventOverRaw: 1.5,
  saturationOverRaw: 0.7,
} as const;

type Part = "raw" | "telemetry" | "latency" | "ramp" | "memory";
const ALL_PARTS: Part[] = ["raw", "telemetry", "latency", "ramp", "memory"];

interface Settings {
  parts: Part[];
  ramp: { start: number; step: number; max: number; stepDuration: string };
  latency: { rate: number; duration: string; runs: number };
  telemetry: {
    /** Saturating workload: offered far above what the box can take; the throughput is the figure. */
    rate: number;
    duration: string;
    /** Fixed workload below saturation: the same work in both states; CPU per event is the figure. */
    fixedRate: number;
    fixedDuration: string;
    runs: number;
    warmUpEvents: number;
  };
  /** The raw pipeline: each load of Eventscope's runs (300/s, 1,000/s, saturating), `runs` times. */
  raw: { runs: number; idleSeconds: number };
  waitForTestsMinutes: number;
}

const num = (v: string | undefined, fallback: number) =>
  v !== undefined && v !== "" && Number.isFinite(Number(v)) ? Number(v) : fallback;

function settings(quick: boolean, env = process.env): Settings {
  const parts = env.PIPELINE_PARTS
    ? (env.PIPELINE_PARTS.split(",").map((p) => p.trim()) as Part[]).filter((p) => ALL_PARTS.includes(p))
    : ALL_PARTS;
  return {
    parts,
    ramp: {
      start: num(env.RAMP_START, quick ? 500 : 250),
      step: num(env.RAMP_STEP, quick ? 500 : 250),
      max: num(env.RAMP_MAX, 3000),
      stepDuration: env.STEP_DURATION ?? (quick ? "5s" : "10s"),
    },
    latency: {
      rate: num(env.LOAD_RATE, 1000),
      duration: env.LOAD_DURATION ?? (quick ? "15s" : "30s"),
      runs: num(env.LOAD_RUNS, quick ? 1 : 3),
    },
    telemetry: {
      rate: num(env.TELEMETRY_RATE, 3000),
      duration: env.TELEMETRY_DURATION ?? (quick ? "10s" : "15s"),
      fixedRate: num(env.TELEMETRY_FIXED_RATE, 300),
      fixedDuration: env.TELEMETRY_FIXED_DURATION ?? (quick ? "10s" : "15s"),
      runs: num(env.TELEMETRY_RUNS, quick ? 1 : 3),
      warmUpEvents: num(env.WARMUP_EVENTS, 200),
    },
    raw: { runs: num(env.RAW_RUNS, quick ? 1 : 3), idleSeconds: num(env.RAW_IDLE_SECONDS, quick ? 3 : 5) },
    waitForTestsMinutes: num(env.WAIT_FOR_TESTS_MINUTES, 20),
  };
}

/** One load-test run as the results file keeps it. */
export interface RunRecord {
  phase: "telemetry on" | "telemetry off" | "latency" | "ramp";
  /** Telemetry runs: the saturating workload (throughput) or the fixed one (CPU per event). */
  workload?: "saturating" | "fixed";
  scenario: ScenarioName;
  runId: string;
  offered: string;
  passed: boolean;
  failedThresholds: string[];
  accepted: number;
  unanswered: number;
  droppedIterations: number;
  /** Accepted (202) per second over the load (k6 setup to teardown). */
  achievedRate: number;
  /** Accepted events over the time from the first request until every group's lag was zero. */
  pipelineRate: number;
  errorRate: number | null;
  httpP50Ms: number | null;
  httpP95Ms: number | null;
  httpP99Ms: number | null;
  e2eSamples: number;
  e2eP50Ms: number | null;
  e2eP99Ms: number | null;
  /**
   * The platform's own view, from Prometheus (median over the load of each 15 s-window p99): the
   * producer's server-side POST latency, and accepted -> stored / projected / notified.
   */
  serverP99Ms: number | null;
  stageP99Ms: Record<string, number>;
  maxLag: number;
  maxLagSeconds: number | null;
  drainSeconds: number | null;
  lost: number | null;
  duplicated: number | null;
  notProjected: number | null;
  /** Mean CPU per part over the load, percent of one core (machine: of all cores, 200 = both busy). */
  cpu: Record<string, number>;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  /** A `make test` was running when the run started or ended (its figures are disturbed). */
  testsRunning: boolean;
  /** Seconds the services took to restart before this run (telemetry runs). */
  restartSeconds?: number;
  warmUpAccepted?: number;
  /**
   * CPU time the stack spent per accepted event (ms): every part of STACK_PARTS (the six services,
   * Kafka, PostgreSQL and its exporter, Prometheus, Jaeger, the SMTP sink) over the load, not k6,
   * the runner or other processes.
   */
  stackCpuMsPerEvent: number;
  reportHtml: string;
}

interface RampStep {
  rate: number;
  achieved: number;
  errorRate: number;
  httpP99Ms: number | null;
  e2eP99Ms: number | null;
  lag: number;
  lagSeconds: number | null;
  sustained: boolean;
  withinSlo: boolean;
  why: string[];
  cpu: Record<string, number>;
}

export interface Row {
  figure: string;
  measured: string;
  target: string;
  verdict: string;
  met: boolean | null;
}

const round = (v: number | null, digits = 1) =>
  v === null || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits;
const la = () => loadavg().map((l) => Math.round(l * 100) / 100);
const medianOf = (values: (number | null)[]) =>
  median(values.filter((v): v is number => v !== null && Number.isFinite(v)));

async function measureRun(
  ctx: BenchContext,
  phase: RunRecord["phase"],
  opts: { scenario: ScenarioName; rate?: number; duration?: string; env?: Record<string, string> },
  offered: string,
): Promise<{ record: RunRecord; report: Report; figures: RunFigures }> {
  const drainedBefore = await waitLagZero(60_000);
  if (drainedBefore === null) ctx.log("  (the lag was not zero after 60 s; starting anyway)");
  const loadAverageBefore = la();
  const testsBefore = testRunPids().length > 0;
  const figures = await runScenario({ ...opts, quiet: true });
  const report = JSON.parse(await readFile(figures.reportJson, "utf8")) as Report;
  const { loadStart, loadEnd, drained } = report.times;
  const record: RunRecord = {
    phase,
    scenario: opts.scenario,
    runId: figures.runId,
    offered,
    passed: figures.passed,
    failedThresholds: figures.failed,
    accepted: report.http.accepted,
    unanswered: report.http.unanswered,
    droppedIterations: report.http.dropped,
    achievedRate: round(figures.achievedRate ?? Number.NaN, 0) ?? Number.NaN,
    pipelineRate: round(pipelineRate(report.http.accepted, loadStart, drained), 0) ?? Number.NaN,
    errorRate: figures.errorRate,
    httpP50Ms: round(figures.httpP50Ms),
    httpP95Ms: round(figures.httpP95Ms),
    httpP99Ms: round(figures.httpP99Ms),
    e2eSamples: report.e2e.samples,
    e2eP50Ms: round(figures.e2eP50Ms),
    e2eP99Ms: round(figures.e2eP99Ms),
    serverP99Ms: mediansByName(report.series.serverLatency, loadStart, loadEnd)["server p99"] ?? null,
    stageP99Ms: Object.fromEntries(
      Object.entries(mediansByName(report.series.stageP99, loadStart, loadEnd)).map(([k, v]) => [
        k.replace(/ p99$/, ""),
        v,
      ]),
    ),
    maxLag: figures.maxLag,
    maxLagSeconds: round(figures.maxLagSeconds, 2),
    drainSeconds: round(figures.drainSeconds, 2),
    lost: figures.lost,
    duplicated: figures.duplicated,
    notProjected: report.ledger?.notProjected ?? null,
    cpu: cpuByPart(report.series.cpu, loadStart, loadEnd),
    loadAverageBefore,
    loadAverageAfter: la(),
    testsRunning: testsBefore || testRunPids().length > 0,
    stackCpuMsPerEvent: Number.NaN,
    reportHtml: figures.reportHtml,
  };
  const stackShare = STACK_PARTS.reduce((a, p) => a + (record.cpu[p] ?? 0), 0) / 100;
  record.stackCpuMsPerEvent =
    round((stackShare * (loadEnd - loadStart)) / Math.max(1, record.accepted), 2) ?? Number.NaN;
  const busiest = busiestParts(record.cpu)
    .map(([k, v]) => `${k} ${v}%`)
    .join(", ");
  ctx.log(
    `  ${phase.padEnd(13)} ${figures.runId}: ${formatValue(record.achievedRate, "/s")} accepted (${record.droppedIterations} iterations dropped), pipeline ${formatValue(record.pipelineRate, "/s")}, HTTP p99 ${formatValue(record.httpP99Ms ?? Number.NaN, "ms")}, e2e p99 ${formatValue(record.e2eP99Ms ?? Number.NaN, "ms")}, errors ${formatValue((record.errorRate ?? Number.NaN) * 100, "%")}, drain ${formatValue(record.drainSeconds ?? Number.NaN, "s")}, lost ${record.lost ?? "?"}, dup ${record.duplicated ?? "?"}; CPU: machine ${record.cpu.machine ?? "?"}%, other ${record.cpu.other ?? "?"}%, ${figures.engine} ${record.cpu.k6 ?? record.cpu.vegeta ?? "?"}%, ${busiest}; load ${record.loadAverageAfter.join(" ")}`,
  );
  return { record, report, figures };
}

export const benchmark: Benchmark = {
  name: "pipeline",
  description:
    "The whole pipeline (k6 -> producer -> Kafka -> event store -> projection, notification): knee, latency and drain at 1,000/s, telemetry on vs off, resident memory; and the raw pipeline, the floor of the same shape, at the same rates",
  async run(ctx: BenchContext): Promise<BenchResult> {
    const s = settings(ctx.quick);
    const started = performance.now();
    const cpuFrom = cpuSample();
    const loadAverageAtStart = la();
    const runs: RunRecord[] = [];
    const memory: MemorySnapshot[] = [];
    const notes: string[] = [];
    let rampSteps: RampStep[] = [];
    let rampFigures: RunFigures | null = null;
    let restored = "not needed";
    let raw: RawResult | null = null;
    // The raw pipeline alone (PIPELINE_PARTS=raw) never touches Eventscope's running stack.
    const stack = s.parts.some((p) => p !== "raw");

    const wait = stack
      ? await waitForTests((line) => ctx.log(line), { timeoutMs: s.waitForTestsMinutes * 60_000 })
      : { waitedSeconds: 0, stillRunning: false };
    if (wait.stillRunning) {
      const why = `skipped: a make test (infra/run-tests.sh) was still running after ${s.waitForTestsMinutes} min; its end-to-end tests use the stack this benchmark loads and restarts`;
      ctx.log(why);
      return {
        name: this.name,
        description: this.description,
        config: { ...s, quick: ctx.quick },
        report: why,
        data: { skipped: why },
      };
    }

    // Leaves the stack as people expect it: every service up, telemetry on.
    const restore = async () => {
      const state = telemetryState();
      if (SERVICES.every((x) => state[x] === true) && (await servicesReady())) return;
      ctx.log("restoring the stack: services/stack.sh stop && services/stack.sh up (telemetry on)");
      const secs = await restartServices(true);
      restored = `services restarted with telemetry on (${secs.toFixed(0)} s)`;
    };
    const unregister = stack ? ctx.onInterrupt(restore) : () => true;
    try {
      if (stack && !(await servicesReady())) {
        ctx.log("the services are not all ready: services/stack.sh up");
        await restartServices(true);
      }
      if (stack) memory.push(memorySnapshot("before the benchmark (as found)"));

      if (s.parts.includes("raw")) {
        const loads = rawLoads(s);
        ctx.log(
          `raw pipeline: ${loads.map((l) => `${l.rate}/s for ${l.duration}`).join(", ")}, ${s.raw.runs} run(s) of each`,
        );
        try {
          raw = await runRawPipeline(ctx, {
            loads,
            runs: s.raw.runs,
            warmUpEvents: s.telemetry.warmUpEvents,
            idleSeconds: s.raw.idleSeconds,
          });
        } catch (err) {
          const why = `The raw pipeline failed: ${err instanceof Error ? err.message : String(err)}`;
          ctx.log(why);
          notes.push(why);
        }
      }

      if (s.parts.includes("telemetry")) {
        const t = s.telemetry;
        ctx.log(
          `telemetry on vs off: ${t.runs} run(s) per state, order ${telemetryOrder(t.runs)
            .map((on) => (on ? "on" : "off"))
            .join(
              ", ",
            )}; each: services restarted, ${t.warmUpEvents} warm-up events, load at ${t.fixedRate}/s for ${t.fixedDuration} (CPU per event), then at ${t.rate}/s for ${t.duration} (throughput)`,
        );
        for (const on of telemetryOrder(t.runs)) {
          const phase = on ? "telemetry on" : "telemetry off";
          const restartSeconds = Math.round((await restartServices(on)) * 10) / 10;
          const warmUpAccepted = await warmUp(t.warmUpEvents);
          const fixed = await measureRun(
            ctx,
            phase,
            { scenario: "load", rate: t.fixedRate, duration: t.fixedDuration },
            `${t.fixedRate}/s for ${t.fixedDuration}`,
          );
          runs.push({ ...fixed.record, workload: "fixed", restartSeconds, warmUpAccepted });
          const saturating = await measureRun(
            ctx,
            phase,
            { scenario: "load", rate: t.rate, duration: t.duration },
            `${t.rate}/s for ${t.duration}`,
          );
          runs.push({ ...saturating.record, workload: "saturating" });
        }
      }

      if (s.parts.includes("latency")) {
        const l = s.latency;
        ctx.log(`latency and drain: load at ${l.rate}/s for ${l.duration}, ${l.runs} run(s)`);
        for (let i = 0; i < l.runs; i++) {
          const { record } = await measureRun(
            ctx,
            "latency",
            { scenario: "load", rate: l.rate, duration: l.duration },
            `${l.rate}/s for ${l.duration}`,
          );
          runs.push(record);
        }
        if (s.parts.includes("memory")) memory.push(memorySnapshot(`right after the load at ${l.rate}/s`));
      }

      if (s.parts.includes("ramp")) {
        const r = s.ramp;
        const env = {
          RAMP_START: String(r.start),
          RAMP_STEP: String(r.step),
          RAMP_MAX: String(r.max),
          STEP_DURATION: r.stepDuration,
        };
        ctx.log(`knee: ramp ${r.start} -> ${r.max}/s by ${r.step}, ${r.stepDuration} steps`);
        const { record, report, figures } = await measureRun(
          ctx,
          "ramp",
          { scenario: "ramp", env },
          `${r.start} -> ${r.max}/s by ${r.step}, ${r.stepDuration} steps`,
        );
        runs.push(record);
        rampFigures = figures;
        rampSteps = (report.knee?.steps ?? []).map((st) => ({
          rate: st.rate,
          achieved: Math.round(st.achieved),
          errorRate: st.errorRate,
          httpP99Ms: round(st.p99),
          e2eP99Ms: round(st.e2eP99),
          lag: st.lag,
          lagSeconds: round(st.lagSeconds, 2),
          sustained: st.sustained,
          withinSlo: st.withinSlo,
          why: st.why,
          cpu: cpuByPart(report.series.cpu, st.from, st.to),
        }));
        if (report.knee?.stoppedEarly) notes.push(`The ramp was ${report.knee.stoppedEarly}.`);
        if (s.parts.includes("memory")) memory.push(memorySnapshot("right after the ramp"));
      }
      if (s.parts.includes("memory") && memory.length === 1) memory.push(memorySnapshot("now"));
    } finally {
      try {
        if (stack) await restore();
      } catch (err) {
        restored = `FAILED: ${err instanceof Error ? err.message : String(err)}`;
        ctx.log(`could not restore the stack: ${restored}`);
      }
      unregister();
    }

    const seconds = Math.round((performance.now() - started) / 1000);
    const machineCpu = cpuShares(cpuFrom, cpuSample());
    const disturbed = runs.filter((r) => r.testsRunning).map((r) => r.runId);
    if (disturbed.length > 0) notes.push(`A make test was running during ${disturbed.join(", ")}.`);
    const summary = summarise(s, runs, rampFigures, memory, raw);
    const data = {
      seconds,
      machine: {
        loadAverageAtStart,
        loadAverageAtEnd: la(),
        cpuDuringBenchmark: machineCpu,
        waitedForTestsSeconds: wait.waitedSeconds,
      },
      telemetryStateAtEnd: stack ? telemetryState() : "not touched (raw pipeline only)",
      restored,
      summary: summary.figures,
      runs,
      rampSteps,
      memory,
      raw,
      notes,
    };
    return {
      name: this.name,
      description: this.description,
      config: {
        quick: ctx.quick,
        parts: s.parts,
        telemetry: {
          ...s.telemetry,
          order: telemetryOrder(s.telemetry.runs).map((on) => (on ? "on" : "off")),
          off: "the four services restarted by services/stack.sh with OTEL_SDK_DISABLED=true in their environment (no OpenTelemetry SDK: no spans, no trace export); prom-client metrics, the /lag monitor and pino logs stay on, Prometheus keeps scraping",
          throughput:
            "saturating workload: pipeline rate = events accepted during the load / seconds from the first request until every consumer group's lag was back to zero; median per state; cost = 1 - on/off",
          cpu: "fixed workload: stack CPU per event = CPU time of the six services, Kafka, PostgreSQL and its exporter, Prometheus, Jaeger and the SMTP sink over the load (the load-test runner's 1 s /proc samples) / accepted events; median per state; telemetry's CPU per event = on - off; estimated throughput cost = that / the stack's CPU per event in the saturating runs with telemetry on",
          eachRun:
            "services/stack.sh stop + up in the state, warm-up events posted straight to the producer, lag back to 0, the fixed workload, then the saturating one",
        },
        latency: s.latency,
        ramp: s.ramp,
        raw: {
          ...s.raw,
          loads: rawLoads(s),
          what: "node:http (parse, produce keyed by user id, 202 after the ack; idempotent, acks=all, 3 partitions) -> group 1 (one multi-row INSERT per batch into raw_events, the batch produced to raw.committed, offsets committed) -> group 2 (one multi-row INSERT ... ON CONFLICT DO UPDATE per batch into a read model of one row per event, offsets committed); three Node processes on @platformatic/kafka, no telemetry, no API key; topics, groups and schema of their own, removed afterwards",
          cpu: "CPU time of the three processes, Kafka and PostgreSQL (with its backends) over the load (the harness's 1 s /proc samples) / accepted events; vegeta and the runner not counted",
          saturation:
            "pipeline rate at the saturating load: accepted / seconds from the first request until both groups' lag (broker offsets) was zero",
          e2e: "every event of the run: its acceptance stamp (before the produce) to the time its read-model row was written (clock_timestamp())",
          ledger:
            "raw_events rows and distinct ids, read-model rows and the sum of their applications, against the 202s",
        },
        memory:
          "VmRSS and Pss (smaps_rollup) of each part's recorded pid and its descendants, summed per part; total = every part make up runs: the four services, process-manager, gateway, kafka, postgres, pg_exporter, prometheus, jaeger, smtp",
        statistic:
          "medians over the runs of each phase (latency: the runs at 1,000/s; telemetry: the runs of each state); one ramp",
        targets: TARGETS,
        k6: "everything co-located: the load engine (ENGINE: native or k6), the runner (this process) and the stack on the same box; the harness's defaults (MAX_VUS 400, PROBE_RATE 5/s, USERS 1000)",
      },
      report: [
        summary.text,
        "",
        details(s, runs, rampSteps, memory, notes, machineCpu, loadAverageAtStart, seconds, restored, raw),
      ].join("\n"),
      data,
    };
  },
};

/** The raw pipeline's loads: the rates and durations of Eventscope's runs in the same benchmark. */
function rawLoads(s: Settings): RawLoad[] {
  return [
    { workload: "fixed", rate: s.telemetry.fixedRate, duration: s.telemetry.fixedDuration },
    { workload: "latency", rate: s.latency.rate, duration: s.latency.duration },
    { workload: "saturating", rate: s.telemetry.rate, duration: s.telemetry.duration },
  ];
}

/**
 * The raw pipeline's figures, and Eventscope's against them (issue #11): CPU per event at the
 * fixed rate (telemetry on) and at the latency runs' rate, saturation at the saturating load.
 */
export function rawRows(
  runs: RunRecord[],
  raw: RawResult,
): { rows: Row[]; figures: Record<string, unknown> } {
  const rows: Row[] = [];
  const of = (w: RawRun["workload"]) => raw.runs.filter((r) => r.workload === w);
  const cpuOf = (w: RawRun["workload"]) => medianOf(of(w).map((r) => r.cpuMsPerEvent));
  // Eventscope's CPU per event on the parts the raw pipeline has too (services, Kafka, PostgreSQL).
  const sameParts = (r: RunRecord) =>
    cpuOfParts(r.stackCpuMsPerEvent, r.cpu, STACK_PARTS, [...SERVICES, "kafka", "postgres"]);
  const cpuComparisons: Record<string, unknown> = {};
  for (const [w, label, eventscopeRuns] of [
    ["fixed", "telemetry on", runs.filter((r) => r.workload === "fixed" && r.phase === "telemetry on")],
    ["latency", "latency runs", runs.filter((r) => r.phase === "latency")],
  ] as const) {
    const rawRuns = of(w);
    if (rawRuns.length === 0) continue;
    const rate = rawRuns[0]!.rate;
    const rawCpu = cpuOf(w);
    const tag = `at ${rate.toLocaleString("en-US")}/s`;
    rows.push(
      row(
        `Raw pipeline: CPU per event ${tag} (processes + Kafka + PostgreSQL, median of ${rawRuns.length})`,
        rawCpu,
        "ms",
        "-",
        null,
      ),
    );
    if (eventscopeRuns.length === 0) continue;
    const esCpu = medianOf(eventscopeRuns.map((r) => r.stackCpuMsPerEvent));
    const esSame = medianOf(eventscopeRuns.map(sameParts));
    const v = againstRaw(esCpu, rawCpu, TARGETS.cpuPerEventOverRaw, "max");
    rows.push({
      ...row(
        `  Eventscope / raw CPU per event ${tag} (Eventscope ${formatValue(esCpu, "ms")}, ${label}, median of ${eventscopeRuns.length})`,
        v.value,
        "x",
        `<= ${TARGETS.cpuPerEventOverRaw}x`,
        v,
      ),
    });
    const same = againstRaw(esSame, rawCpu, TARGETS.cpuPerEventOverRaw, "max");
    rows.push(
      row(
        `  same, Eventscope's services + Kafka + PostgreSQL only (${formatValue(esSame, "ms")})`,
        same.value,
        "x",
        "-",
        null,
      ),
    );
    cpuComparisons[w] = {
      rate,
      rawCpuMsPerEvent: rawCpu,
      eventscopeCpuMsPerEvent: esCpu,
      eventscopeRuns: label,
      ratio: v.value,
      eventscopeSamePartsCpuMsPerEvent: esSame,
      samePartsRatio: same.value,
      verdict: v,
    };
  }
  const sat = of("saturating");
  let saturation: Record<string, unknown> | null = null;
  if (sat.length > 0) {
    const rate = sat[0]!.rate;
    const rawRate = medianOf(sat.map((r) => r.pipelineRate));
    rows.push(
      row(
        `Raw pipeline: pipeline rate at ${rate.toLocaleString("en-US")}/s offered (its saturation, median of ${sat.length})`,
        rawRate,
        "/s",
        "-",
        null,
      ),
    );
    const on = runs.filter((r) => r.workload === "saturating" && r.phase === "telemetry on");
    if (on.length > 0) {
      const esRate = medianOf(on.map((r) => r.pipelineRate));
      const v = againstRaw(esRate, rawRate, TARGETS.saturationOverRaw, "min");
      rows.push(
        row(
          `  Eventscope / raw saturation (Eventscope ${formatValue(esRate, "/s")}, telemetry on, median of ${on.length})`,
          v.value,
          "x",
          `>= ${TARGETS.saturationOverRaw}x`,
          v,
        ),
      );
      saturation = {
        rate,
        rawPipelineRate: rawRate,
        eventscopePipelineRate: esRate,
        ratio: v.value,
        verdict: v,
      };
    } else saturation = { rate, rawPipelineRate: rawRate };
  }
  const lost = raw.runs.reduce((a, r) => a + r.ledger.lost, 0);
  const duplicated = raw.runs.reduce((a, r) => a + r.ledger.duplicated, 0);
  const clean = raw.runs.every((r) => r.ledger.ok);
  rows.push({
    figure: `Raw pipeline ledger (all ${raw.runs.length} runs: rows = accepted)`,
    measured: `${raw.runs.reduce((a, r) => a + r.accepted, 0).toLocaleString("en-US")} accepted; ${lost} lost, ${duplicated} duplicated`,
    target: "0 lost, 0 duplicated",
    verdict: clean ? "met" : "MISSED",
    met: clean,
  });
  return { rows, figures: { cpu: cpuComparisons, saturation, lost, duplicated, ledgerOk: clean } };
}

/** A figure of each on/off pair of runs (rounded to 2 decimals), in the order they ran (ABBA). */
function pairCosts(seq: RunRecord[], cost: (on: RunRecord, off: RunRecord) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < seq.length; i += 2) {
    const a = seq[i]!;
    const b = seq[i + 1]!;
    const [on, off] = a.phase === "telemetry on" ? [a, b] : [b, a];
    out.push(Math.round(cost(on, off) * 100) / 100);
  }
  return out;
}

interface Summary {
  text: string;
  figures: Record<string, unknown>;
}

function row(figure: string, value: number, unit: string, target: string, v: Verdict | null): Row {
  return {
    figure,
    measured: formatValue(value, unit),
    target,
    verdict: v ? describeVerdict(v, unit) : "-",
    met: v ? v.met : null,
  };
}

function summarise(
  s: Settings,
  runs: RunRecord[],
  ramp: RunFigures | null,
  memory: MemorySnapshot[],
  raw: RawResult | null,
): Summary {
  const rows: Row[] = [];
  const figures: Record<string, unknown> = {};

  if (ramp) {
    const knee = ramp.knee ?? 0;
    const sustained = ramp.sustainedRate ?? 0;
    const rampRun = runs.find((r) => r.phase === "ramp")!;
    const kneeV = verdict(knee, TARGETS.knee, "min");
    rows.push({
      ...row(
        "Knee: highest ramp step within every SLO",
        knee,
        "/s",
        `>= ${TARGETS.knee.toLocaleString("en-US")}/s (the SLOs are set at 1,000/s)`,
        kneeV,
      ),
      ...(knee === 0
        ? {
            measured: `< ${s.ramp.start}/s (no step)`,
            verdict: `MISSED (not even the first step, ${s.ramp.start}/s, was within the SLOs)`,
          }
        : {}),
    });
    const clean = rampRun.lost === 0 && rampRun.duplicated === 0;
    const sustainedV = verdict(sustained, TARGETS.sustainedRate, "min");
    rows.push({
      ...row(
        "Highest sustained ramp step (errors <= 0.1 %, lag bounded; latency aside)",
        sustained,
        "/s",
        ">= 3,000/s, no errors, nothing lost",
        sustainedV,
      ),
      ...(sustained === 0
        ? {
            measured: `< ${s.ramp.start}/s (no step)`,
            verdict: `MISSED (not even the first step, ${s.ramp.start}/s, was sustained)`,
          }
        : {}),
      ...(sustainedV.met && !clean ? { verdict: "MISSED: events lost or duplicated", met: false } : {}),
    });
    rows.push(
      row("Peak achieved rate in an error-free ramp step", ramp.peakRate ?? Number.NaN, "/s", "-", null),
    );
    rows.push({
      figure: "Ramp ledger (all steps)",
      measured: `${rampRun.accepted.toLocaleString("en-US")} accepted; ${rampRun.lost ?? "?"} lost, ${rampRun.duplicated ?? "?"} duplicated`,
      target: "0 lost, 0 duplicated",
      verdict: rampRun.lost === null ? "not checked" : clean ? "met" : "MISSED",
      met: rampRun.lost === null ? null : clean,
    });
    figures.ramp = {
      knee,
      sustainedRate: sustained,
      peakRate: ramp.peakRate,
      lost: rampRun.lost,
      duplicated: rampRun.duplicated,
      drainSeconds: rampRun.drainSeconds,
      kneeVerdict: kneeV,
      sustainedVerdict: sustainedV,
    };
  }

  const lat = runs.filter((r) => r.phase === "latency");
  if (lat.length > 0) {
    const n = lat.length;
    const rate = s.latency.rate;
    const m = {
      achievedRate: medianOf(lat.map((r) => r.achievedRate)),
      httpP99Ms: medianOf(lat.map((r) => r.httpP99Ms)),
      e2eP99Ms: medianOf(lat.map((r) => r.e2eP99Ms)),
      errorRate: medianOf(lat.map((r) => r.errorRate)),
      drainSeconds: medianOf(lat.map((r) => r.drainSeconds)),
      maxDrainSeconds: Math.max(...lat.map((r) => r.drainSeconds ?? Number.NaN)),
      lost: lat.reduce((a, r) => a + (r.lost ?? 0), 0),
      duplicated: lat.reduce((a, r) => a + (r.duplicated ?? 0), 0),
      ledgerChecked: lat.every((r) => r.lost !== null),
    };
    const tag = `at ${rate.toLocaleString("en-US")}/s (median of ${n})`;
    const offered = verdict(m.achievedRate, TARGETS.offeredShare * rate, "min");
    const http = verdict(m.httpP99Ms, TARGETS.httpP99Ms, "max");
    const e2e = verdict(m.e2eP99Ms, TARGETS.e2eP99Ms, "max");
    const errors = verdict(m.errorRate * 100, TARGETS.errorRate * 100, "max");
    const drain = verdict(m.drainSeconds, TARGETS.drainSeconds, "max");
    rows.push(
      row(
        `Achieved rate ${tag}`,
        m.achievedRate,
        "/s",
        `>= ${TARGETS.offeredShare * rate}/s (95 %)`,
        offered,
      ),
    );
    rows.push(row(`HTTP p99 (writes) ${tag}`, m.httpP99Ms, "ms", `<= ${TARGETS.httpP99Ms} ms`, http));
    rows.push(row(`Accepted -> read model p99 ${tag}`, m.e2eP99Ms, "ms", `<= ${TARGETS.e2eP99Ms} ms`, e2e));
    rows.push(row(`HTTP errors ${tag}`, m.errorRate * 100, "%", `<= ${TARGETS.errorRate * 100} %`, errors));
    const clean = m.lost === 0 && m.duplicated === 0;
    rows.push({
      figure: `Ledger at ${rate.toLocaleString("en-US")}/s (all ${n} runs)`,
      measured: `${lat.reduce((a, r) => a + r.accepted, 0).toLocaleString("en-US")} accepted; ${m.lost} lost, ${m.duplicated} duplicated`,
      target: "0 lost, 0 duplicated",
      verdict: !m.ledgerChecked ? "not checked" : clean ? "met" : "MISSED",
      met: m.ledgerChecked ? clean : null,
    });
    rows.push({
      ...row(
        `Drain: lag back to 0 after the load at ${rate.toLocaleString("en-US")}/s (median of ${n})`,
        m.drainSeconds,
        "s",
        `<= ${TARGETS.drainSeconds} s`,
        drain,
      ),
      measured: `${formatValue(m.drainSeconds, "s")} (max ${formatValue(m.maxDrainSeconds, "s")})`,
    });
    figures.latency = { ...m, runs: n, verdicts: { offered, http, e2e, errors, drain } };
  }

  const sat = runs.filter((r) => r.workload === "saturating");
  const on = sat.filter((r) => r.phase === "telemetry on");
  const off = sat.filter((r) => r.phase === "telemetry off");
  if (on.length > 0 && off.length > 0) {
    const pOn = medianOf(on.map((r) => r.pipelineRate));
    const pOff = medianOf(off.map((r) => r.pipelineRate));
    const aOn = medianOf(on.map((r) => r.achievedRate));
    const aOff = medianOf(off.map((r) => r.achievedRate));
    const cost = 1 - pOn / pOff;
    const acceptedCost = 1 - aOn / aOff;
    const v = verdict(cost * 100, TARGETS.telemetryCost * 100, "max");
    // Each pair of consecutive runs (one on, one off, ABBA order): its own cost, to show the spread.
    const pairs = pairCosts(sat, (on, off) => (1 - on.pipelineRate / off.pipelineRate) * 100);
    rows.push({
      ...row(
        `Telemetry cost: 1 - pipeline rate on/off (${s.telemetry.rate}/s offered, median of ${on.length} each)`,
        cost * 100,
        "%",
        `<= ${TARGETS.telemetryCost * 100} %`,
        v,
      ),
      measured: `${formatValue(cost * 100, "%")} (on ${formatValue(pOn, "/s")}, off ${formatValue(pOff, "/s")}; pairs ${pairs.map((c) => `${c.toFixed(1)}%`).join(", ")})`,
    });
    rows.push(
      row(
        `  same, on the accepted rate (on ${formatValue(aOn, "/s")}, off ${formatValue(aOff, "/s")})`,
        acceptedCost * 100,
        "%",
        `<= ${TARGETS.telemetryCost * 100} %`,
        verdict(acceptedCost * 100, TARGETS.telemetryCost * 100, "max"),
      ),
    );
    figures.telemetry = {
      pipelineRateOn: pOn,
      pipelineRateOff: pOff,
      ratioOnOff: pOn / pOff,
      cost,
      acceptedRateOn: aOn,
      acceptedRateOff: aOff,
      acceptedCost,
      pairCostsPercent: pairs,
      verdict: v,
    };
  }
  const fixed = runs.filter((r) => r.workload === "fixed");
  const fOn = fixed.filter((r) => r.phase === "telemetry on");
  const fOff = fixed.filter((r) => r.phase === "telemetry off");
  if (fOn.length > 0 && fOff.length > 0) {
    // The same work in both states: what telemetry adds to the stack's CPU per event, in ms.
    const cpuOn = medianOf(fOn.map((r) => r.stackCpuMsPerEvent));
    const cpuOff = medianOf(fOff.map((r) => r.stackCpuMsPerEvent));
    const added = cpuOn - cpuOff;
    const pairs = pairCosts(fixed, (on, off) => on.stackCpuMsPerEvent - off.stackCpuMsPerEvent);
    // On a CPU-bound box the throughput is the CPU the stack gets / its CPU per event, so the
    // added CPU per event over the CPU per event at saturation (telemetry on) estimates the
    // throughput telemetry costs there, without the neighbours' noise of a throughput figure.
    const satOn = runs.filter((r) => r.workload === "saturating" && r.phase === "telemetry on");
    const cpuSat = medianOf(satOn.map((r) => r.stackCpuMsPerEvent));
    const estimated = added / cpuSat;
    const v = verdict(estimated * 100, TARGETS.telemetryCost * 100, "max");
    rows.push(
      row(
        `Telemetry's CPU per event at ${s.telemetry.fixedRate}/s, on - off (median of ${fOn.length} each)`,
        added,
        "ms",
        "-",
        null,
      ),
    );
    rows[rows.length - 1]!.measured =
      `${formatValue(added, "ms")} (on ${formatValue(cpuOn, "ms")}, off ${formatValue(cpuOff, "ms")}; pairs ${pairs.map((c) => formatValue(c, "ms")).join(", ")})`;
    if (Number.isFinite(cpuSat)) {
      rows.push({
        ...row(
          `  as a throughput cost: added / CPU per event at saturation (on, ${formatValue(cpuSat, "ms")})`,
          estimated * 100,
          "%",
          `<= ${TARGETS.telemetryCost * 100} %`,
          v,
        ),
      });
    }
    figures.telemetryCpu = {
      rate: s.telemetry.fixedRate,
      stackCpuMsPerEventOn: cpuOn,
      stackCpuMsPerEventOff: cpuOff,
      addedMsPerEvent: added,
      pairAddedMsPerEvent: pairs,
      stackCpuMsPerEventAtSaturationOn: cpuSat,
      estimatedThroughputCost: estimated,
      httpP99MsOn: medianOf(fOn.map((r) => r.httpP99Ms)),
      httpP99MsOff: medianOf(fOff.map((r) => r.httpP99Ms)),
      e2eP99MsOn: medianOf(fOn.map((r) => r.e2eP99Ms)),
      e2eP99MsOff: medianOf(fOff.map((r) => r.e2eP99Ms)),
      verdict: v,
    };
  }

  if (raw) {
    const r = rawRows(runs, raw);
    rows.push(...r.rows);
    figures.raw = r.figures;
  }

  const afterLoad = memory.find((m) => m.label.startsWith("right after the load")) ?? memory.at(-1);
  if (afterLoad && memory.length > 1) {
    const pss = verdict(afterLoad.totalPssMiB, TARGETS.memoryMiB, "max");
    const rss = verdict(afterLoad.totalRssMiB, TARGETS.memoryMiB, "max");
    const largest = Math.max(...memory.map((m) => m.totalPssMiB));
    rows.push({
      ...row(
        `Resident memory of the native stack, PSS, ${afterLoad.label}`,
        afterLoad.totalPssMiB,
        "MiB",
        "< 2,048 MiB (2 GiB)",
        pss,
      ),
      measured: `${formatValue(afterLoad.totalPssMiB, "MiB")} (largest snapshot ${formatValue(largest, "MiB")})`,
    });
    rows.push(
      row(
        "  same, RSS (counts shared pages once per process)",
        afterLoad.totalRssMiB,
        "MiB",
        "< 2,048 MiB",
        rss,
      ),
    );
    figures.memory = {
      label: afterLoad.label,
      totalPssMiB: afterLoad.totalPssMiB,
      totalRssMiB: afterLoad.totalRssMiB,
      largestPssMiB: largest,
      pss,
      rss,
    };
  }

  const table = renderTable(
    ["figure", "measured", "target (DESIGN.md)", "verdict"],
    rows.map((r) => [r.figure, r.measured, r.target, r.verdict]),
    4,
  );
  const met = rows.filter((r) => r.met === true).length;
  const judged = rows.filter((r) => r.met !== null).length;
  return { text: `${table}\n\n${met} of ${judged} targets met.`, figures: { rows, ...figures } };
}

const CPU_COLUMNS = [
  "producer",
  "event-store",
  "projection",
  "notification",
  "kafka",
  "postgres",
  "jaeger",
  "prometheus",
  "k6",
  "vegeta",
  "runner",
  "other",
  "machine",
];
const RAW_CPU_COLUMNS = [
  "raw-ingest",
  "raw-store",
  "raw-read-model",
  "kafka",
  "postgres",
  "vegeta",
  "other",
  "machine",
];
const cpuCells = (cpu: Record<string, number>) =>
  CPU_COLUMNS.map((c) => (cpu[c] === undefined ? "-" : String(cpu[c])));
const ms = (v: number | null) => formatValue(v ?? Number.NaN, "ms");
const formatAge = (secs: number) =>
  secs >= 3600 ? `${(secs / 3600).toFixed(1)} h` : secs >= 60 ? `${Math.round(secs / 60)} min` : `${secs} s`;

function details(
  s: Settings,
  runs: RunRecord[],
  steps: RampStep[],
  memory: MemorySnapshot[],
  notes: string[],
  machineCpu: ReturnType<typeof cpuShares>,
  loadAverageAtStart: number[],
  seconds: number,
  restored: string,
  raw: RawResult | null,
): string {
  const out: string[] = [];
  if (raw && raw.runs.length > 0) {
    out.push(
      "Raw pipeline runs (no telemetry; CPU ms/ev = its three processes + Kafka + PostgreSQL; e2e = every event, acceptance stamp -> read-model row written):",
    );
    out.push(
      renderTable(
        [
          "load",
          "run",
          "offered",
          "accepted/s",
          "pipeline/s",
          "dropped",
          "HTTP p50",
          "HTTP p99",
          "e2e p50",
          "e2e p99",
          "drain",
          "lost/dup",
          "CPU ms/ev",
          ...RAW_CPU_COLUMNS,
          "load avg",
        ],
        raw.runs.map((r) => [
          r.workload,
          r.runId,
          r.offered,
          formatValue(r.achievedRate, "/s"),
          formatValue(r.pipelineRate, "/s"),
          r.dropped.toLocaleString("en-US"),
          ms(r.httpP50Ms),
          ms(r.httpP99Ms),
          ms(r.e2eP50Ms),
          ms(r.e2eP99Ms),
          formatValue(r.drainSeconds ?? Number.NaN, "s"),
          `${r.ledger.lost}/${r.ledger.duplicated}`,
          formatValue(r.cpuMsPerEvent, ""),
          ...RAW_CPU_COLUMNS.map((c) => (r.cpu[c] === undefined ? "-" : String(r.cpu[c]))),
          r.loadAverageAfter.map((v) => v.toFixed(1)).join(" "),
        ]),
        3,
      ),
    );
    out.push(
      `  idle (${s.raw.idleSeconds} s after the warm-up, % of one core): ${Object.entries(raw.idleCpu)
        .filter(([k]) => RAW_CPU_COLUMNS.includes(k))
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}; ${raw.cleanedUp}`,
    );
    out.push("");
  }
  if (runs.length > 0) {
    out.push(
      "Runs (rates in events/s; CPU = mean over the load, % of one core; machine = both cores, max 200):",
    );
    out.push(
      renderTable(
        [
          "phase",
          "run",
          "offered",
          "accepted/s",
          "pipeline/s",
          "dropped",
          "HTTP p99",
          "server p99",
          "e2e p99",
          "stored p99",
          "projected p99",
          "errors",
          "drain",
          "lost/dup",
          "CPU ms/ev",
          "load avg",
        ],
        runs.map((r) => [
          r.phase,
          r.runId,
          r.offered,
          formatValue(r.achievedRate, "/s"),
          formatValue(r.pipelineRate, "/s"),
          r.droppedIterations.toLocaleString("en-US"),
          ms(r.httpP99Ms),
          ms(r.serverP99Ms),
          ms(r.e2eP99Ms),
          ms(r.stageP99Ms.stored ?? null),
          ms(r.stageP99Ms.projected ?? null),
          formatValue((r.errorRate ?? Number.NaN) * 100, "%"),
          formatValue(r.drainSeconds ?? Number.NaN, "s"),
          `${r.lost ?? "?"}/${r.duplicated ?? "?"}`,
          formatValue(r.stackCpuMsPerEvent, ""),
          r.loadAverageAfter.map((v) => v.toFixed(1)).join(" "),
        ]),
        3,
      ),
    );
    out.push("");
    out.push("CPU per part during each run (mean over the load, % of one core):");
    out.push(
      renderTable(
        ["phase", "run", ...CPU_COLUMNS],
        runs.map((r) => [r.phase, r.runId, ...cpuCells(r.cpu)]),
        2,
      ),
    );
  }
  if (steps.length > 0) {
    out.push("");
    out.push("Ramp steps (CPU = mean over the step, % of one core):");
    out.push(
      renderTable(
        ["step/s", "achieved", "HTTP p99", "e2e p99", "lag", "ok", ...CPU_COLUMNS],
        steps.map((st) => [
          String(st.rate),
          String(st.achieved),
          ms(st.httpP99Ms),
          ms(st.e2eP99Ms),
          `${st.lag}${st.lagSeconds !== null ? ` (${st.lagSeconds} s)` : ""}`,
          st.withinSlo ? "SLO" : st.sustained ? "sust." : "no",
          ...cpuCells(st.cpu),
        ]),
        1,
      ),
    );
  }
  if (memory.length > 0) {
    out.push("");
    out.push("Resident memory (MiB, RSS / PSS) per part; the last row: how long each part had been running:");
    const parts = memory[0]!.parts.map((p) => p.part);
    out.push(
      renderTable(
        ["snapshot", ...parts, "total"],
        memory
          .map((m) => [
            m.label,
            ...m.parts.map((p) => (p.pid === null ? "down" : `${p.rssMiB}/${p.pssMiB}`)),
            `${m.totalRssMiB}/${m.totalPssMiB}`,
          ])
          .concat([
            [
              "up for",
              ...memory.at(-1)!.parts.map((p) => (p.ageSeconds === null ? "-" : formatAge(p.ageSeconds))),
              "",
            ],
          ]),
        1,
      ),
    );
  }
  out.push("");
  out.push("How measured:");
  out.push(
    "  every load is a run of the load harness (@eventscope/loadtests runScenario) on ENGINE (native: vegeta + flow driver, or k6): the engine, the runner and the stack on this one box;",
    "  accepted/s = 202s per second of load; pipeline/s = accepted / (first request -> every group's lag back to 0);",
    "  HTTP p99 = k6's write latency; server p99 = the producer's own histogram (Prometheus, median of its 15 s-window p99);",
    "  e2e p99 = the probe (5/s): producer's acceptance stamp -> visible in the read model; stored/projected p99 = the",
    "  platform's per-stage histograms (accepted -> stored / projected); drain = last request -> lag 0 in every group;",
    "  lost/dup = the ledger (event store and read models, by the run's ids);",
    `  latency: load at ${s.latency.rate}/s for ${s.latency.duration}, ${s.latency.runs} run(s), medians; the ramp: ${s.ramp.start} -> ${s.ramp.max}/s by ${s.ramp.step}, ${s.ramp.stepDuration} steps, one run;`,
    `  telemetry: ${s.telemetry.fixedRate}/s for ${s.telemetry.fixedDuration} then ${s.telemetry.rate}/s for ${s.telemetry.duration}, ${s.telemetry.runs} run(s) per state in the order ${telemetryOrder(
      s.telemetry.runs,
    )
      .map((on) => (on ? "on" : "off"))
      .join(", ")};`,
    `  each pair after the four services were restarted (off: OTEL_SDK_DISABLED=true, no spans; metrics, /lag, logs stay on)`,
    `  and ${s.telemetry.warmUpEvents} warm-up events; throughput cost = 1 - median pipeline/s on / median pipeline/s off at ${s.telemetry.rate}/s;`,
    "  CPU ms/ev = CPU time of the stack's processes (the six services, Kafka, PostgreSQL and its exporter, Prometheus, Jaeger,",
    "  the SMTP sink; not k6,",
    `  the runner or other processes) over the load / accepted events; telemetry's CPU per event = on - off at ${s.telemetry.fixedRate}/s (the same`,
    "  work in both states, less exposed to the neighbours than a throughput), over the CPU per event at saturation = the",
    "  throughput cost it implies on a CPU-bound box (CPU per event falls as batches grow with the rate: hence not at 300/s);",
    "  knee / sustained: the harness's judgement of each ramp step (loadtests/README.md); memory: /proc after the load;",
    "  raw pipeline (bench/src/raw): node:http -> Kafka -> one multi-row INSERT per batch -> Kafka -> one multi-row upsert per batch,",
    "  three Node processes on @platformatic/kafka, no telemetry; vegeta through the harness's runAttack at the rates above; its",
    "  CPU ms/ev = the three processes + Kafka + PostgreSQL (the same /proc samples); its lag from the broker (200 ms polls after",
    "  the load); Eventscope / raw = Eventscope's CPU per event (telemetry on at the fixed rate, the latency runs at theirs) and",
    "  pipeline rate (telemetry on, saturating) over the raw pipeline's at the same rate, in the same benchmark.",
  );
  out.push("");
  out.push(
    `Machine (shared, noisy 2-core VM): load average ${loadAverageAtStart.join(" ")} at the start, ${la().join(" ")} at the end; ` +
      `CPU over the benchmark: user ${machineCpu.user}%, system ${machineCpu.system}%, idle ${machineCpu.idle}%, iowait ${machineCpu.iowait}%, steal ${machineCpu.steal}%; ${seconds} s in all.`,
  );
  out.push(`Stack at the end: ${restored}.`);
  for (const n of notes) out.push(n);
  return out.join("\n");
}
