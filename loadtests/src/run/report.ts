/**
 * The run's report: report.json and index.html under the run's folder, the summary table on
 * stdout, and the figures the benchmarks read. The assembly is pure; writing it is the last stage.
 */
import { writeFile } from "node:fs/promises";
import { cpus, hostname, loadavg } from "node:os";
import { join, relative } from "node:path";
import { runCost, stillCompiling, withStepCost } from "../cost.ts";
import { probeWarnings, type ProbeMode } from "../../scenarios/lib/probe.ts";
import type { ProbeSample } from "../engine.ts";
import { renderHtml } from "../html.ts";
import type { NamedSeries, Report } from "../model.ts";
import type { SummaryMetric } from "../native/recorder.ts";
import { max as maxOf, percentile } from "../stats.ts";
import { summaryTable } from "../summary.ts";
import { summaryValue, type CollectedFigures } from "./collect.ts";
import type { DrivenLoad } from "./drive.ts";
import type { Verdict } from "./judge.ts";
import type { lagSeries } from "./series.ts";
import { env, runParams, type RunSetup } from "./setup.ts";
import type { RunFigures } from "./types.ts";

/** The twelve slowest probes, slowest first, for the report's table of traces. */
export function slowestProbes(probes: ProbeSample[]): Report["slowest"] {
  return [...probes]
    .sort((a, b) => b.e2eMs - a.e2eMs)
    .slice(0, 12)
    .map((p) => ({
      eventId: p.eventId,
      traceId: p.traceId,
      e2eMs: p.e2eMs,
      at: p.stampedAt ?? p.acceptedAt,
      httpMs: p.httpMs,
      ...(p.afterAckMs !== undefined ? { afterAckMs: p.afterAckMs } : {}),
    }));
}

/**
 * The generator's CPU: exact for the native engine (vegeta's processes, the runner's own);
 * k6's from the CPU sampler (percent of a core, 1 s samples) over the load.
 */
export function generatorCpu(
  exact: { engine: number; runner: number } | null,
  cpuSeries: NamedSeries[],
  loadStart: number,
  loadEnd: number,
): { engine: number; runner: number; total: number } {
  const sampled = (name: string) =>
    (cpuSeries.find((c) => c.name === name)?.points ?? [])
      .filter(([t]) => t > loadStart && t <= loadEnd + 1000)
      .reduce((sum, [, pct]) => sum + pct / 100, 0);
  return exact
    ? { engine: exact.engine, runner: exact.runner, total: exact.engine + exact.runner }
    : { engine: sampled("k6"), runner: sampled("runner"), total: sampled("k6") + sampled("runner") };
}

/** The writes' figures from the engine's summary. */
export function httpFigures(
  metrics: Record<string, SummaryMetric>,
  accepted: number,
  unanswered: number,
  loadSeconds: number,
): Report["http"] {
  const val = (m: string, s: string) => summaryValue(metrics, m, s);
  return {
    requests: val("http_reqs{kind:write}", "count") ?? accepted + unanswered,
    accepted,
    unanswered,
    dropped: val("dropped_iterations", "count") ?? 0,
    late: val("late_requests", "count"),
    errorRate: val("http_req_failed{kind:write}", "rate"),
    rate: accepted / loadSeconds,
    avg: val("http_req_duration{kind:write}", "avg"),
    p50: val("http_req_duration{kind:write}", "med"),
    p90: val("http_req_duration{kind:write}", "p(90)"),
    p95: val("http_req_duration{kind:write}", "p(95)"),
    p99: val("http_req_duration{kind:write}", "p(99)"),
    max: val("http_req_duration{kind:write}", "max"),
  };
}

/** The end-to-end figures from the probe's samples. */
export function e2eFigures(
  probes: ProbeSample[],
  metrics: Record<string, SummaryMetric>,
  probeMode?: ProbeMode,
): Report["e2e"] {
  const e2eValues = probes.map((p) => p.e2eMs);
  return {
    samples: e2eValues.length,
    timeouts: summaryValue(metrics, "e2e_timeouts", "count") ?? 0,
    p50: percentile(e2eValues, 50),
    p90: percentile(e2eValues, 90),
    p95: percentile(e2eValues, 95),
    p99: percentile(e2eValues, 99),
    max: maxOf(e2eValues),
    flowVisibleP99: summaryValue(metrics, "flow_visible", "p(99)"),
    ...(probeMode ? { probeMode } : {}),
    reads: probeReads(probes),
  };
}

/** The probe's reads of the read model in all. */
export const probeReads = (probes: ProbeSample[]): number => probes.reduce((sum, p) => sum + p.polls, 0);

/** Each group's highest lag during the load, with the verdicts its GET /lag gave. */
export function groupLag(
  lagGroups: ReturnType<typeof lagSeries>,
  loadStart: number,
): Report["lag"]["groups"] {
  return [...lagGroups].map(([group, e]) => ({
    group,
    topic: e.topic,
    maxLag: Math.max(0, ...e.msgs.filter(([t]) => t >= loadStart).map(([, v]) => v)),
    maxLagSeconds: e.secs.length
      ? Math.max(...e.secs.filter(([t]) => t >= loadStart).map(([, v]) => v), 0)
      : null,
    verdicts: [...e.verdicts],
  }));
}

export function assembleReport(
  setup: RunSetup,
  times: { start: number; end: number },
  load: DrivenLoad,
  figures: CollectedFigures,
  verdict: Verdict,
  prometheusUrl: string,
): Report {
  const { run, loadStart, loadEnd } = load;
  const { metrics, accepted, unanswered, series } = figures;
  const http = httpFigures(metrics, accepted, unanswered, Math.max(0.001, (loadEnd - loadStart) / 1000));
  const cpuSeconds = generatorCpu(run.cpuSeconds(), series.cpu, loadStart, loadEnd);
  const cores = cpus().length;
  const cost = runCost(
    series.cpu,
    { loadStart, loadEnd, drained: load.drained },
    {
      accepted,
      stored: figures.ledger?.stored ?? null,
      ingested: figures.ingested,
      probeReads: probeReads(run.probes),
      probes: run.probes.length,
    },
    cores,
  );
  return {
    version: 1,
    runId: setup.runId,
    scenario: setup.scenario,
    params: runParams(setup),
    times: { start: times.start, loadStart, loadEnd, drained: load.drained, end: times.end },
    machine: {
      host: hostname(),
      cpus: cores,
      loadavg: loadavg(),
      node: process.version,
    },
    engine: {
      name: setup.engine,
      version: run.version,
      cpuSeconds,
      cpuMsPerRequest: cpuSeconds && http.requests > 0 ? (cpuSeconds.total * 1000) / http.requests : null,
      files: run.files,
    },
    passed: verdict.passed,
    slo: setup.slo,
    thresholds: verdict.thresholds,
    http,
    e2e: e2eFigures(run.probes, metrics, setup.plan.probe.mode),
    lag: {
      source: verdict.lagSource,
      maxLag: figures.maxLag,
      maxLagSeconds: figures.maxLagSeconds,
      drainSeconds: load.drainSeconds,
      groups: groupLag(figures.lagGroups, loadStart),
    },
    ledger: figures.ledger,
    knee: figures.knee && withStepCost(figures.knee, series.cpu, cores, loadEnd),
    cost,
    series,
    slowest: slowestProbes(run.probes),
    links: { jaeger: env("JAEGER_UI_URL", "http://127.0.0.1:16686"), prometheus: prometheusUrl },
    notes: verdict.notes,
    warnings: [...run.warnings, ...probeWarnings(run.probes)],
  };
}

/** What `runScenario` answers: the report's headline figures and where it was written. */
export function runFigures(
  setup: RunSetup,
  report: Report,
  paths: { reportHtml: string; reportJson: string },
): RunFigures {
  const { ledger, knee } = report;
  const headline = report.cost?.loadAndDrain;
  return {
    runId: setup.runId,
    scenario: setup.scenario,
    engine: setup.engine,
    passed: report.passed,
    failed: report.thresholds.filter((t) => !t.ok).map((t) => t.name),
    rate: setup.rate,
    duration: setup.duration,
    warmup: setup.warmup,
    httpP50Ms: report.http.p50,
    httpP95Ms: report.http.p95,
    httpP99Ms: report.http.p99,
    errorRate: report.http.errorRate,
    achievedRate: report.http.rate,
    e2eP50Ms: report.e2e.p50,
    e2eP99Ms: report.e2e.p99,
    maxLag: report.lag.maxLag,
    maxLagSeconds: report.lag.maxLagSeconds,
    drainSeconds: report.lag.drainSeconds,
    stackCpuMsPerEvent: headline?.stack.msPerEvent ?? null,
    stackCpuMsPerEventByPart: Object.fromEntries(
      (headline?.parts ?? []).map((p) => [p.name, p.msPerEvent ?? 0]),
    ),
    jitCpuMsPerEventByPart: Object.fromEntries(
      (report.cost?.jit ?? []).map((j) => [j.part, j.msPerEvent ?? 0]),
    ),
    compiling: stillCompiling(report.cost?.jit ?? []).length > 0,
    machineBusyShare: headline?.machine.busy ?? null,
    otherShare: headline?.machine.other ?? null,
    lost: ledger?.lost ?? null,
    duplicated: ledger?.duplicated ?? null,
    orders: ledger?.orders?.orders ?? null,
    ordersNotFinal: ledger?.orders ? ledger.orders.notFinal + ledger.orders.stockHeld : null,
    knee: knee?.rate ?? null,
    sustainedRate: knee?.sustainedRate ?? null,
    peakRate: knee ? Math.round(knee.peakRate) : null,
    reportDir: setup.dir,
    reportHtml: paths.reportHtml,
    reportJson: paths.reportJson,
  };
}

/** report.json and index.html in the run's folder, then the summary table. */
export async function writeReport(setup: RunSetup, report: Report) {
  const reportJson = join(setup.dir, "report.json");
  const reportHtml = join(setup.dir, "index.html");
  await writeFile(reportJson, JSON.stringify(report, null, 2));
  await writeFile(reportHtml, renderHtml(report));
  setup.say("");
  setup.say(summaryTable(report));
  setup.say(`report: ${relative(process.cwd(), reportHtml) || reportHtml}`);
  return { reportHtml, reportJson };
}
