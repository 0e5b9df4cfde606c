/**
 * Runs one scenario against the running stack and judges it:
 *
 *   node loadtests/src/run.ts --scenario load --rate 1000 --duration 60s [--engine native|k6]
 *
 * An engine drives the load planned by scenarios/lib/model.ts (the native engine: vegeta and the
 * undici flow driver; or the user's own k6 running loadtests/scenarios/<scenario>.ts) and
 * measures HTTP latency, errors and the end-to-end probe; meanwhile this runner samples
 * consumer lag every second, keeps sampling
 * after the load until every group has drained (the drain time), checks the ledger, pulls the
 * time series from Prometheus, writes report.json + index.html under
 * .eventscope/reports/<runId>/ and prints a summary table. Exit code 0 only when every threshold
 * (the engine's and the runner's) holds. The report says which engine ran.
 *
 * Programmatic use (the benchmarks): `runScenario({ scenario, rate, duration })` resolves with
 * the figures (HTTP and e2e percentiles, max lag, drain time, ledger, the knee for `ramp`).
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, hostname, loadavg } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sloFor, kneeSlo, type Slo } from "../scenarios/lib/slo.ts";
import { planFor, type ScenarioName } from "../scenarios/lib/model.ts";
import { chooseEngine, k6OnPath, type EngineName, type EngineRun, type ProbeSample } from "./engine.ts";
import { vegetaAnswers, vegetaBinary } from "./native/vegeta.ts";
import { startK6 } from "./k6.ts";
import { startNative } from "./native/index.ts";
import type { SummaryMetric, WindowStats } from "./native/recorder.ts";
import { CpuSampler } from "./cpu.ts";
import { LagSampler, defaultGroups, type LagSample } from "./lag.ts";
import { checkLedger, storeHead, type LedgerResult } from "./ledger.ts";
import type { Knee, KneeStep, NamedSeries, Point, Report, ThresholdResult } from "./model.ts";
import { Prometheus } from "./prometheus.ts";
import { renderHtml } from "./html.ts";
import { percentile, max as maxOf } from "./stats.ts";
import { summaryTable } from "./summary.ts";

export const repoRoot = resolve(import.meta.dirname, "..", "..");

export type { ScenarioName } from "../scenarios/lib/model.ts";

export const scenarioDefaults: Record<ScenarioName, { rate: number; duration: string; about: string }> = {
  smoke: { rate: 10, duration: "10s", about: "a little of everything, every flow once" },
  load: { rate: 200, duration: "30s", about: "constant arrival rate of user-activity events" },
  ramp: { rate: 0, duration: "", about: "stepped rates up to RAMP_MAX: the knee" },
  spike: { rate: 2000, duration: "", about: "base rate, a burst at RATE, back to base" },
  soak: { rate: 300, duration: "10m", about: "moderate rate for a long time" },
  flows: { rate: 20, duration: "30s", about: "order, task, customer lifecycles and sessions" },
  checkout: { rate: 4, duration: "30s", about: "orders through checkout only, run by the process manager" },
};

export interface RunOptions {
  scenario: ScenarioName;
  /** Events (or flow iterations) per second; the scenario's default when absent. */
  rate?: number;
  /** A duration ("60s", "2m"); the scenario's default when absent. */
  duration?: string;
  /** The scenario's knobs (RAMP_START, SLO_HTTP_P99_MS, PROBE_RATE, ...), as k6's environment. */
  env?: Record<string, string>;
  /** k6 or native; default: ENGINE, else k6 when one is on the PATH, else native. */
  engine?: EngineName;
  /** Where reports go (default .eventscope/reports). */
  reportsRoot?: string;
  /** No progress lines and no table on stdout. */
  quiet?: boolean;
  /** Give up waiting for the lag to drain after this long (default 120 s). */
  drainTimeoutMs?: number;
  databaseUrl?: string;
  producerUrl?: string;
}

export interface RunFigures {
  runId: string;
  scenario: ScenarioName;
  engine: EngineName;
  passed: boolean;
  failed: string[];
  rate: number;
  duration: string;
  httpP50Ms: number | null;
  httpP95Ms: number | null;
  httpP99Ms: number | null;
  errorRate: number | null;
  achievedRate: number | null;
  e2eP50Ms: number | null;
  e2eP99Ms: number | null;
  maxLag: number;
  maxLagSeconds: number | null;
  drainSeconds: number | null;
  lost: number | null;
  duplicated: number | null;
  /** checkout only: the run's orders and how many did not reach a final state. */
  orders: number | null;
  ordersNotFinal: number | null;
  /** ramp only: the highest rate within every SLO, and the highest sustained regardless of latency. */
  knee: number | null;
  sustainedRate: number | null;
  /** ramp only: the highest rate achieved in a step without errors, latency aside. */
  peakRate: number | null;
  reportDir: string;
  reportHtml: string;
  reportJson: string;
}

const env = (name: string, fallback: string) => process.env[name] ?? fallback;

function seconds(duration: string): number {
  let total = 0;
  for (const m of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "s" ? n : m[2] === "m" ? n * 60 : n * 3600;
  }
  return total || Number(duration) || 0;
}

function newRunId(scenario: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `${stamp}-${scenario}-${randomBytes(2).toString("hex")}`;
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

const thresholdNames: Record<string, { name: string; unit: ThresholdResult["unit"] }> = {
  "http_req_duration{kind:write}": { name: "HTTP latency (writes)", unit: "ms" },
  "http_req_failed{kind:write}": { name: "HTTP errors (writes)", unit: "ratio" },
  e2e_latency: { name: "End-to-end (accepted -> read model)", unit: "ms" },
  flow_failures: { name: "Flow failures", unit: "events" },
};

/** The engine's thresholds (the plan's, judged by k6 or the recorder) with each rule's observed value. */
function engineThresholds(metrics: Record<string, SummaryMetric>, engine: EngineName): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const [metric, m] of Object.entries(metrics)) {
    for (const [rule, t] of Object.entries(m.thresholds ?? {})) {
      // Rules that always hold only make a sub-metric appear in the summary.
      if (/>=\s*0$/.test(rule.trim())) continue;
      const match = /^\s*([a-z]+(?:\([\d.]+\))?)\s*(<=|<|>=|>|==)\s*([\d.]+)\s*$/.exec(rule);
      const stat = match?.[1] ?? "";
      const limit = Number(match?.[3] ?? NaN);
      const observed = m.values[stat] ?? (stat === "count" ? 0 : null);
      const label = thresholdNames[metric] ?? { name: metric, unit: "ms" as const };
      const statLabel =
        stat === "rate" || stat === "count" ? "" : ` ${stat.replace("(", "").replace(")", "")}`;
      out.push({
        name: `${label.name}${statLabel}`,
        rule: `${metric} ${rule}`,
        limit,
        observed,
        unit: label.unit,
        ok: t.ok,
        source: engine,
      });
    }
  }
  return out;
}

/** Lag per group over the run from the sampler's samples. */
function lagSeries(samples: LagSample[]) {
  const groups = new Map<string, { topic: string; msgs: Point[]; secs: Point[]; verdicts: Set<string> }>();
  for (const s of samples) {
    for (const g of s.groups) {
      let e = groups.get(g.group);
      if (!e) {
        e = { topic: g.topic, msgs: [], secs: [], verdicts: new Set() };
        groups.set(g.group, e);
      }
      e.msgs.push([s.t, g.lag]);
      if (g.lagSeconds !== null) e.secs.push([s.t, g.lagSeconds]);
      if (g.verdict) e.verdicts.add(g.verdict);
    }
  }
  return groups;
}

/**
 * Events per second through each hop, from the sampler's offsets (1 s resolution, no scrape
 * lag): appended to events.ingest (produced), consumed by each group (committed offsets).
 */
function flowRates(samples: LagSample[]): NamedSeries[] {
  const out = new Map<string, Point[]>();
  const push = (name: string, p: Point) => {
    const s = out.get(name) ?? [];
    s.push(p);
    out.set(name, s);
  };
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const dt = (b.t - a.t) / 1000;
    if (dt < 0.5) continue; // the fast samples after the load: too short for a rate
    const mid = (a.t + b.t) / 2;
    const ingestA = a.groups.find((g) => g.group === "event-store");
    const ingestB = b.groups.find((g) => g.group === "event-store");
    if (ingestA && ingestB)
      push("produced to events.ingest", [mid, Math.max(0, (ingestB.high - ingestA.high) / dt)]);
    for (const g of b.groups) {
      const prev = a.groups.find((x) => x.group === g.group);
      if (prev) push(`consumed by ${g.group}`, [mid, Math.max(0, (g.committed - prev.committed) / dt)]);
    }
  }
  return [...out].map(([name, points]) => ({ name, points }));
}

/** The step rates of a ramp and whether each was sustained within the SLOs. */
async function judgeRamp(
  prom: Prometheus | null,
  windows: Map<number, WindowStats> | null,
  runId: string,
  steps: { rates: number[]; stepSeconds: number },
  t0: number,
  loadEnd: number,
  probes: ProbeSample[],
  lag: LagSample[],
  slo: Slo,
  stoppedEarly: string | null,
): Promise<Knee> {
  const byWin = new Map<number, { count: number; errors: number; p50: number | null; p99: number | null }>();
  if (windows) {
    for (const [w, x] of windows) byWin.set(w, { count: x.count, errors: x.errors, p50: x.p50, p99: x.p99 });
  } else if (prom) {
    const span = `${Math.ceil((Date.now() - t0) / 1000) + 60}s`;
    const sel = `testid="${runId}",scenario="ramp"`;
    const [p50, p99, reqs] = await Promise.all([
      prom.instant(`last_over_time(k6_write_duration_p50{${sel}}[${span}])`, Date.now()),
      prom.instant(`last_over_time(k6_write_duration_p99{${sel}}[${span}])`, Date.now()),
      prom.instant(
        `sum by (win, status) (last_over_time(k6_http_reqs_total{${sel},kind="write"}[${span}]))`,
        Date.now(),
      ),
    ]);
    const at = (w: string) => {
      const k = Number(w);
      let e = byWin.get(k);
      if (!e) {
        e = { count: 0, errors: 0, p50: null, p99: null };
        byWin.set(k, e);
      }
      return e;
    };
    for (const r of p50) at(r.labels.win ?? "-1").p50 = r.value * 1000;
    for (const r of p99) at(r.labels.win ?? "-1").p99 = r.value * 1000;
    for (const r of reqs) {
      const e = at(r.labels.win ?? "-1");
      e.count += r.value;
      if (!/^2\d\d$/.test(r.labels.status ?? "")) e.errors += r.value;
    }
  }
  const result: KneeStep[] = [];
  let knee = 0;
  let sustainedRate = 0;
  let broken = false;
  let sustainedBroken = false;
  steps.rates.forEach((rate, i) => {
    const from = t0 + i * steps.stepSeconds * 1000;
    const to = from + steps.stepSeconds * 1000;
    if (from >= loadEnd) return;
    const w = byWin.get(i) ?? { count: 0, errors: 0, p50: null, p99: null };
    const prev = i === 0 ? rate : steps.rates[i - 1]!;
    const span = (Math.min(to, loadEnd) - from) / 1000;
    const expected = Math.max(1, (prev + rate) / 2 + rate * Math.max(0, span - 1));
    const achieved = w.count / Math.max(1, span);
    const errorRate = w.count > 0 ? w.errors / w.count : 0;
    const e2e = probes.filter((p) => p.acceptedAt >= from && p.acceptedAt < to).map((p) => p.e2eMs);
    const e2eP99 = e2e.length >= 5 ? percentile(e2e, 99) : null;
    // Lag over the second half of the step: bounded means the platform keeps up with the rate.
    const tail = lag.filter((s) => s.t >= from + (to - from) / 2 && s.t <= to);
    const lagMsgs = maxOf(tail.map((s) => Math.max(...s.groups.map((g) => g.lag)))) ?? 0;
    const lagSecs = maxOf(tail.flatMap((s) => s.groups.map((g) => g.lagSeconds ?? 0)));
    const why: string[] = [];
    const kept = w.count >= 0.95 * expected;
    if (!kept) why.push(`achieved ${achieved.toFixed(0)}/s of ${rate}/s`);
    if (errorRate > slo.SLO_ERROR_RATE) why.push(`errors ${(errorRate * 100).toFixed(2)}%`);
    const lagOk =
      (lagSecs ?? 0) <= slo.SLO_MAX_LAG_SECONDS && lagMsgs <= Math.max(slo.SLO_MAX_LAG_MESSAGES, rate);
    if (!lagOk) why.push(`lag ${lagMsgs} msgs / ${(lagSecs ?? 0).toFixed(1)} s`);
    const sustained = kept && errorRate <= slo.SLO_ERROR_RATE && lagOk;
    const latencyOk = w.p99 !== null && w.p99 <= slo.SLO_HTTP_P99_MS;
    if (!latencyOk) why.push(`HTTP p99 ${w.p99 === null ? "-" : w.p99.toFixed(1)} ms`);
    const e2eOk = e2eP99 === null || e2eP99 <= slo.SLO_E2E_P99_MS;
    if (!e2eOk) why.push(`e2e p99 ${e2eP99} ms`);
    const withinSlo = sustained && latencyOk && e2eOk;
    if (withinSlo && !broken) knee = rate;
    if (!withinSlo) broken = true;
    if (sustained && !sustainedBroken) sustainedRate = rate;
    if (!sustained) sustainedBroken = true;
    result.push({
      rate,
      from,
      to,
      requests: w.count,
      achieved,
      errorRate,
      p50: w.p50,
      p99: w.p99,
      e2eP99,
      lagSeconds: lagSecs,
      lag: lagMsgs,
      sustained,
      withinSlo,
      why,
    });
  });
  const peakRate = Math.max(
    0,
    ...result.filter((r) => r.errorRate <= slo.SLO_ERROR_RATE).map((r) => r.achieved),
  );
  return { rate: knee, sustainedRate, peakRate, steps: result, stoppedEarly, slo };
}

/**
 * Time series for the charts: the latency per window and the accepted rate from the engine
 * (the native recorder's, or k6's windows in Prometheus), the platform's own from Prometheus.
 */
async function promSeries(
  prom: Prometheus,
  run: EngineRun,
  runId: string,
  from: number,
  to: number,
  windowSeconds: number,
  t0: number,
) {
  const step = Math.max(1, Math.round((to - from) / 1000 / 300));
  const span = `${Math.ceil((Date.now() - from) / 1000) + 60}s`;
  const sel = `testid="${runId}"`;
  // Platform metrics are scraped every 5 s: a rate needs a few scrapes in its window.
  const rw = Math.max(15, step * 3);
  const kw = Math.max(6, step * 3);
  const safe = async <T>(p: Promise<T>, fallback: T): Promise<T> => p.catch(() => fallback);
  const inst = (q: string) => safe(prom.instant(q, Date.now()), []);
  const range = (q: string) => safe(prom.range(q, from, to, step), []);

  // Latency percentiles per window: each window is its own k6 series (tag `win`), so its
  // percentiles are the window's own, not cumulative. Plotted at the window's middle.
  const latency: NamedSeries[] = [];
  if (run.windows) {
    const wins = [...run.windows].sort((a, b) => a[0] - b[0]);
    for (const stat of ["p50", "p95", "p99", "max"] as const) {
      latency.push({
        name: stat,
        points: wins
          .filter(([, x]) => x[stat] !== null)
          .map(([w, x]): Point => [t0 + (w + 0.5) * windowSeconds * 1000, x[stat]!]),
      });
    }
  }
  for (const stat of run.windows ? [] : ["p50", "p95", "p99", "max"]) {
    const rows = await inst(`last_over_time(k6_write_duration_${stat}{${sel},scenario!="probe"}[${span}])`);
    const byScenario = new Map<string, Point[]>();
    for (const r of rows) {
      const w = Number(r.labels.win);
      if (!Number.isFinite(w)) continue;
      const sc = r.labels.scenario ?? "";
      const pts = byScenario.get(sc) ?? [];
      pts.push([t0 + (w + 0.5) * windowSeconds * 1000, r.value * 1000]);
      byScenario.set(sc, pts);
    }
    for (const [sc, pts] of byScenario) {
      pts.sort((a, b) => a[0] - b[0]);
      // Several scenarios (flows, smoke): their p99 each, or the chart is a thicket.
      if (byScenario.size > 1 && stat !== "p99") continue;
      latency.push({ name: byScenario.size > 1 ? `${stat} ${sc}` : stat, points: pts });
    }
  }
  const one = async (name: string, q: string): Promise<NamedSeries[]> => {
    const rows = await range(q);
    return rows.length ? [{ name, points: rows[0]!.points }] : [];
  };
  const toMs = (s: NamedSeries[]) =>
    s.map((x) => ({ ...x, points: x.points.map(([t, v]): Point => [t, v * 1000]) }));
  const [accepted, serverP99, serverP50] = await Promise.all([
    run.accepted
      ? Promise.resolve([{ name: `accepted (${run.engine}, 202)`, points: run.accepted }])
      : one("accepted (k6, 202)", `sum(rate(k6_events_accepted_total{${sel}}[${kw}s]))`),
    one(
      "server p99",
      `histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{service="producer",method="POST"}[${rw}s])))`,
    ),
    one(
      "server p50",
      `histogram_quantile(0.5, sum by (le) (rate(http_server_request_duration_seconds_bucket{service="producer",method="POST"}[${rw}s])))`,
    ),
  ]);
  const stageRows = await range(
    `histogram_quantile(0.99, sum by (le, stage) (rate(event_end_to_end_latency_seconds_bucket[${rw}s])))`,
  );
  return {
    latency,
    serverLatency: toMs([...serverP50, ...serverP99]),
    throughput: accepted,
    stageP99: toMs(stageRows.map((r) => ({ name: `${r.labels.stage ?? "?"} p99`, points: r.points }))),
  };
}

function scenarioEnv(scenario: ScenarioName, rate: number, duration: string, extra: Record<string, string>) {
  const e: Record<string, string> = { SCENARIO: scenario, RATE: String(rate), DURATION: duration };
  let windowSeconds = Math.max(2, Math.ceil(seconds(duration) / 40));
  if (scenario === "ramp") windowSeconds = Math.max(3, seconds(extra.STEP_DURATION ?? "10s"));
  if (scenario === "spike") {
    windowSeconds = 2;
    e.SPIKE_RATE = extra.SPIKE_RATE ?? String(rate);
  }
  e.WINDOW_SECONDS = String(windowSeconds);
  return { env: { ...e, ...extra }, windowSeconds };
}

export async function runScenario(opts: RunOptions): Promise<RunFigures> {
  const scenario = opts.scenario;
  if (!(scenario in scenarioDefaults)) throw new Error(`unknown scenario ${scenario}`);
  const defaults = scenarioDefaults[scenario];
  const rate = opts.rate ?? defaults.rate;
  const duration = opts.duration ?? defaults.duration;
  const extra = { ...opts.env };
  for (const k of Object.keys(process.env)) {
    if (/^(SLO_|RAMP_|STEP_DURATION|SPIKE_|BASE_RATE|PROBE_|USERS|MAX_VUS)/.test(k) && !(k in extra)) {
      extra[k] = process.env[k]!;
    }
  }
  const { env: k6Env, windowSeconds } = scenarioEnv(scenario, rate, duration, extra);
  const slo = sloFor(scenario, k6Env);
  const engine = opts.engine ?? chooseEngine();
  if (engine === "k6" && !k6OnPath()) {
    throw new Error(
      "ENGINE=k6 but no k6 answers on the PATH (or K6_BIN): the set-up never installs k6 (AGPL-3.0); install your own, or use ENGINE=native",
    );
  }
  if (engine === "native" && !vegetaAnswers()) {
    throw new Error(
      `the native engine needs vegeta (${vegetaBinary()}): run \`make infra-up\` (infra/native/vegeta.sh)`,
    );
  }
  const say = (line: string) => {
    if (!opts.quiet) process.stdout.write(line + "\n");
  };

  const producer = opts.producerUrl ?? env("PRODUCER_URL", "http://127.0.0.1:8081");
  if (!(await ready(`${producer}/health/ready`))) {
    throw new Error(`the producer at ${producer} is not ready: start the stack with \`make up\``);
  }
  // The checkout scenario's orders are run by the process manager: without it none would end.
  const plan = planFor(scenario, { ...k6Env, RUN_ID: "-" });
  if (plan.processManager && !(await ready(`${plan.processManager}/health/ready`))) {
    throw new Error(
      `the process manager at ${plan.processManager} is not ready: start the stack with \`make up\``,
    );
  }
  const databaseUrl =
    opts.databaseUrl ?? env("DATABASE_URL", "postgres://eventscope:eventscope@127.0.0.1:55432/eventscope");
  const home = process.env.EVENTSCOPE_HOME ?? join(repoRoot, ".eventscope");
  const runId = newRunId(scenario);
  const dir = join(opts.reportsRoot ?? join(home, "reports"), runId);
  await mkdir(dir, { recursive: true });

  const prom = new Prometheus();
  const promUp = await prom.ready();
  const fromPosition = await storeHead(databaseUrl);
  const start = Date.now();
  const topicPrefix = process.env.TOPIC_PREFIX ?? "";
  // With the process manager in the run, its consumer's lag counts too (the drain waits for it).
  const groups = defaultGroups(topicPrefix);
  if (plan.processManager)
    groups.push({
      group: "process-manager",
      topic: `${topicPrefix}events.committed`,
      lagUrl: `${plan.processManager}/lag`,
    });
  const sampler = new LagSampler(groups);
  await sampler.start(1000);
  const cpu = new CpuSampler(join(home, "run"));
  cpu.follow("runner", process.pid);
  cpu.start(1000);

  const params: Record<string, string | number> = { rate, duration, windowSeconds, ...k6Env };
  if (scenario === "ramp" || scenario === "spike") {
    delete params.rate;
    delete params.duration;
  }
  delete params.SCENARIO;
  delete params.RATE;
  delete params.DURATION;
  delete params.WINDOW_SECONDS;
  say(
    `▶ ${scenario} run ${runId} on ${engine}: ${scenario === "ramp" ? "stepped rates" : `${rate}/s`}` +
      `${duration && scenario !== "ramp" && scenario !== "spike" ? ` for ${duration}` : ""} (${defaults.about})`,
  );
  if (!promUp)
    say(`  Prometheus is not answering: ${engine} runs without remote write, the report has fewer charts`);

  let loadEnd: number | null = null;
  let stoppedEarly: string | null = null;
  const common = {
    echo: !opts.quiet,
    follow: (name: string, pid: number | undefined) => cpu.follow(name, pid),
    onMark: (name: string, marks: { teardown?: number }) => {
      if (name === "teardown") {
        loadEnd = marks.teardown ?? Date.now();
        sampler.setInterval(200);
      }
    },
  };
  const remoteWrite = promUp ? `${prom.url}/api/v1/write` : null;
  const k6: EngineRun =
    engine === "k6"
      ? startK6({
          ...common,
          script: join(repoRoot, "loadtests", "scenarios", `${scenario}.ts`),
          env: { ...k6Env, RUN_ID: runId },
          tags: { testid: runId },
          remoteWrite,
          dir,
        })
      : startNative(planFor(scenario, { ...k6Env, RUN_ID: runId }), { ...common, remoteWrite });

  // Progress, and the ramp's brake: far past the knee there is nothing more to learn.
  const progress = setInterval(() => {
    const s = sampler.latest();
    const t0 = k6.marks.setup;
    if (!s || !t0) return;
    const lagText = s.groups
      .map((g) => `${g.group} ${g.lag}${g.lagSeconds !== null ? ` (${g.lagSeconds.toFixed(1)} s)` : ""}`)
      .join(", ");
    say(`  t+${Math.round((Date.now() - t0) / 1000)}s  probes ${k6.probes.length}  lag: ${lagText}`);
    const worst = Math.max(...s.groups.map((g) => g.lagSeconds ?? 0));
    if (scenario === "ramp" && worst > 30 && !stoppedEarly && loadEnd === null) {
      stoppedEarly = `stopped at t+${Math.round((Date.now() - t0) / 1000)}s: lag reached ${worst.toFixed(0)} s`;
      say(`  ${stoppedEarly}`);
      k6.stop();
    }
  }, 5000);
  progress.unref();

  const { exitCode } = await k6.done;
  clearInterval(progress);
  const loadStart = k6.marks.setup ?? start;
  const stopAt: number = loadEnd ?? Date.now();
  say(`  load stopped; waiting for the consumers to drain...`);
  const drainedAt = await sampler.waitDrained(opts.drainTimeoutMs ?? 120_000);
  // A couple more samples after the drain, for the chart.
  await new Promise((r) => setTimeout(r, 1000));
  await sampler.sample();
  await sampler.stop();
  cpu.stop();
  const firstZero = sampler.samples.find((s) => s.t >= stopAt && s.groups.every((g) => g.lag === 0));
  const drained = drainedAt === null ? null : (firstZero?.t ?? drainedAt);
  const drainSeconds = drained === null ? null : Math.max(0, (drained - stopAt) / 1000);

  // The engine's summary (k6's handleSummary, or the native recorder's in the same shape).
  const metrics: Record<string, SummaryMetric> = await k6.summary();
  if (Object.keys(metrics).length === 0)
    k6.warnings.push(`${engine} gave no summary (exit code ${exitCode})`);
  if (engine === "native") await writeFile(join(dir, "summary.json"), JSON.stringify({ metrics }, null, 2));
  const val = (m: string, s: string) => metrics[m]?.values[s] ?? null;
  const accepted = val("events_accepted", "count") ?? 0;
  const unanswered = val("writes_unanswered", "count") ?? 0;

  // The ledger (a projection may commit its offsets a moment after its transaction: retry briefly).
  let ledger: LedgerResult | null = null;
  let ledgerError: string | null = null;
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      ledger = await checkLedger({
        databaseUrl,
        runId,
        fromPosition,
        since: new Date(start),
        accepted,
        unanswered,
        processManagerUrl: plan.processManager,
        apiKey: plan.apiKey,
      });
    } catch (err) {
      ledgerError = err instanceof Error ? err.message : String(err);
      break;
    }
    if (ledger.ok || drained === null) break;
    await new Promise((r) => setTimeout(r, 1000));
  }

  // Prometheus: wait for k6's last push and one scrape after the drain, then read the series.
  const loadEndAt = stopAt;
  let series: Report["series"] = {
    latency: [],
    serverLatency: [],
    throughput: [],
    lagMessages: [],
    lagSeconds: [],
    e2eSamples: [],
    stageP99: [],
    cpu: [],
  };
  const end = Math.max(Date.now(), (drained ?? loadEndAt) + 3000);
  if (promUp) {
    const wait = (drained ?? loadEndAt) + 6000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const p = await promSeries(prom, k6, runId, loadStart - 5000, end + 3000, windowSeconds, loadStart);
    series = { ...series, ...p };
  }
  const lagGroups = lagSeries(sampler.samples);
  series.lagMessages = [...lagGroups].map(([g, e]) => ({ name: g, points: e.msgs }));
  series.lagSeconds = [...lagGroups].map(([g, e]) => ({ name: g, points: e.secs }));
  series.cpu = cpu.toSeries();
  series.throughput = [...series.throughput, ...flowRates(sampler.samples)];
  series.e2eSamples = k6.probes
    .map((p): Point => [p.stampedAt ?? p.acceptedAt, p.e2eMs])
    .sort((a, b) => a[0] - b[0]);

  const e2eValues = k6.probes.map((p) => p.e2eMs);
  const inRun = sampler.samples.filter((s) => s.t >= loadStart);
  const maxLag = Math.max(0, ...inRun.flatMap((s) => s.groups.map((g) => g.lag)));
  const lagSecondsAll = inRun.flatMap((s) =>
    s.groups.map((g) => g.lagSeconds).filter((v): v is number => v !== null),
  );
  const maxLagSeconds = lagSecondsAll.length ? Math.max(...lagSecondsAll) : null;

  const knee =
    scenario === "ramp" && k6.marks.steps
      ? await judgeRamp(
          promUp ? prom : null,
          k6.windows,
          runId,
          k6.marks.steps,
          loadStart,
          loadEndAt,
          k6.probes,
          sampler.samples,
          kneeSlo(k6Env),
          stoppedEarly,
        )
      : null;

  // Thresholds: the engine's, then the ones only the runner can judge.
  const thresholds = engineThresholds(metrics, engine);
  const runner = (
    name: string,
    rule: string,
    limit: number,
    observed: number | null,
    unit: ThresholdResult["unit"],
    ok: boolean,
  ) => thresholds.push({ name, rule, limit, observed, unit, ok, source: "runner" });
  // A ramp overloads on purpose: its lag is judged per step (the knee), not for the run.
  const judgeLag = scenario !== "ramp";
  if (judgeLag)
    runner(
      "Max consumer lag",
      `max lag <= ${slo.SLO_MAX_LAG_MESSAGES} messages`,
      slo.SLO_MAX_LAG_MESSAGES,
      maxLag,
      "messages",
      maxLag <= slo.SLO_MAX_LAG_MESSAGES,
    );
  if (judgeLag)
    runner(
      "Max consumer lag (age)",
      `max lag <= ${slo.SLO_MAX_LAG_SECONDS} s`,
      slo.SLO_MAX_LAG_SECONDS,
      maxLagSeconds,
      "s",
      (maxLagSeconds ?? 0) <= slo.SLO_MAX_LAG_SECONDS,
    );
  runner(
    "Drain time",
    `lag back to 0 within ${slo.SLO_DRAIN_SECONDS} s`,
    slo.SLO_DRAIN_SECONDS,
    drainSeconds,
    "s",
    drainSeconds !== null && drainSeconds <= slo.SLO_DRAIN_SECONDS,
  );
  if (ledger) {
    runner("Ledger: lost", "lost == 0", 0, ledger.lost, "events", ledger.lost === 0);
    runner("Ledger: duplicated", "duplicated == 0", 0, ledger.duplicated, "events", ledger.duplicated === 0);
    runner(
      "Ledger: not projected",
      "not projected == 0",
      0,
      ledger.notProjected,
      "events",
      ledger.notProjected === 0,
    );
    runner(
      "Ledger: projected twice",
      "projected twice == 0",
      0,
      ledger.projectedTwice,
      "events",
      ledger.projectedTwice === 0,
    );
    if (ledger.orders) {
      const o = ledger.orders;
      runner("Orders: not final", "orders not final == 0", 0, o.notFinal, "events", o.notFinal === 0);
      runner(
        "Orders: stock held after cancel",
        "cancelled orders holding stock == 0",
        0,
        o.stockHeld,
        "events",
        o.stockHeld === 0,
      );
      if (o.orders === 0) runner("Orders", "> 0", 0, 0, "events", false);
    }
  } else {
    runner("Ledger", "checked", 0, null, "events", false);
  }
  if (accepted === 0) runner("Accepted events", "> 0", 0, 0, "events", false);
  // A constant-rate run that could not offer its rate (out of VUs or workers, requests too slow) did
  // not test what it says: it fails, with how much load the platform actually got.
  const dropped = val("dropped_iterations", "count") ?? 0;
  if ((scenario === "load" || scenario === "soak") && rate > 0) {
    const achieved = accepted / Math.max(0.001, (loadEndAt - loadStart) / 1000);
    runner(
      "Offered rate",
      `accepted/s >= 95% of ${rate}/s`,
      0.95 * rate,
      achieved,
      "/s",
      achieved >= 0.95 * rate,
    );
  }
  if (exitCode !== 0 && exitCode !== 99 && !stoppedEarly) {
    runner(`${engine} exit code`, "0 (99 = thresholds crossed)", 0, exitCode, "events", false);
  }
  const passed = thresholds.every((t) => t.ok);

  const notes: string[] = [];
  const lagSource = sampler.samples.some((s) => s.source === "lag-endpoint") ? "lag-endpoint" : "kafka-admin";
  notes.push(
    lagSource === "lag-endpoint"
      ? "Lag in messages sampled by the runner (kafkajs admin: committed offsets vs high watermarks); lag in seconds and verdicts from the services' GET /lag."
      : "Lag in messages sampled by the runner (kafkajs admin: committed offsets vs high watermarks). Lag in seconds: the oldest unconsumed offset's first sighting in the runner's 1 s history of high watermarks (a lower bound, one sampling interval of resolution); the services' GET /lag was not available.",
  );
  notes.push(
    "End-to-end = the answer of the probe's poll that first shows the event minus the producer's acceptance stamp on it (the envelope's timestamp; same host clock): an upper bound, within one 5 ms poll interval plus one poll's round trip.",
  );
  notes.push(
    "Lag and the platform's own rates cover every producer on the topics: other traffic on the shared stack during the run shows up there (the ledger only counts this run's events).",
  );
  if (ledgerError) notes.push(`The ledger could not be checked: ${ledgerError}`);
  if (stoppedEarly) notes.push(`The ramp was ${stoppedEarly}.`);
  if (knee && knee.rate === 0 && knee.steps.length > 0) {
    notes.push(
      `No step was within the SLOs: the knee is below the first step (${knee.steps[0]!.rate}/s); start lower with RAMP_START and RAMP_STEP.`,
    );
  }

  const slowest = [...k6.probes]
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

  const writeReqs = val("http_reqs{kind:write}", "count") ?? accepted + unanswered;
  // The generator's CPU: exact for the native engine (vegeta's processes, the runner's own);
  // k6's from the CPU sampler (percent of a core, 1 s samples) over the load.
  const exact = k6.cpuSeconds();
  const sampled = (name: string) =>
    (series.cpu.find((c) => c.name === name)?.points ?? [])
      .filter(([t]) => t > loadStart && t <= loadEndAt + 1000)
      .reduce((sum, [, pct]) => sum + pct / 100, 0);
  const generatorCpu = exact
    ? { engine: exact.engine, runner: exact.runner, total: exact.engine + exact.runner }
    : { engine: sampled("k6"), runner: sampled("runner"), total: sampled("k6") + sampled("runner") };
  const loadSeconds = Math.max(0.001, (loadEndAt - loadStart) / 1000);
  const report: Report = {
    version: 1,
    runId,
    scenario,
    params,
    times: { start, loadStart, loadEnd: loadEndAt, drained, end: Date.now() },
    machine: {
      host: hostname(),
      cpus: cpus().length,
      loadavg: loadavg(),
      node: process.version,
    },
    engine: {
      name: engine,
      version: k6.version,
      cpuSeconds: generatorCpu,
      cpuMsPerRequest: generatorCpu && writeReqs > 0 ? (generatorCpu.total * 1000) / writeReqs : null,
      files: k6.files,
    },
    passed,
    slo,
    thresholds,
    http: {
      requests: writeReqs,
      accepted,
      unanswered,
      dropped,
      late: val("late_requests", "count"),
      errorRate: val("http_req_failed{kind:write}", "rate"),
      rate: accepted / loadSeconds,
      avg: val("http_req_duration{kind:write}", "avg"),
      p50: val("http_req_duration{kind:write}", "med"),
      p90: val("http_req_duration{kind:write}", "p(90)"),
      p95: val("http_req_duration{kind:write}", "p(95)"),
      p99: val("http_req_duration{kind:write}", "p(99)"),
      max: val("http_req_duration{kind:write}", "max"),
    },
    e2e: {
      samples: e2eValues.length,
      timeouts: val("e2e_timeouts", "count") ?? 0,
      p50: percentile(e2eValues, 50),
      p90: percentile(e2eValues, 90),
      p95: percentile(e2eValues, 95),
      p99: percentile(e2eValues, 99),
      max: maxOf(e2eValues),
      flowVisibleP99: val("flow_visible", "p(99)"),
    },
    lag: {
      source: lagSource,
      maxLag,
      maxLagSeconds,
      drainSeconds,
      groups: [...lagGroups].map(([group, e]) => ({
        group,
        topic: e.topic,
        maxLag: Math.max(0, ...e.msgs.filter(([t]) => t >= loadStart).map(([, v]) => v)),
        maxLagSeconds: e.secs.length
          ? Math.max(...e.secs.filter(([t]) => t >= loadStart).map(([, v]) => v), 0)
          : null,
        verdicts: [...e.verdicts],
      })),
    },
    ledger,
    knee,
    series,
    slowest,
    links: { jaeger: env("JAEGER_UI_URL", "http://127.0.0.1:16686"), prometheus: prom.url },
    notes,
    warnings: k6.warnings,
  };
  const jsonPath = join(dir, "report.json");
  const htmlPath = join(dir, "index.html");
  await writeFile(jsonPath, JSON.stringify(report, null, 2));
  await writeFile(htmlPath, renderHtml(report));
  say("");
  say(summaryTable(report));
  say(`report: ${relative(process.cwd(), htmlPath) || htmlPath}`);

  return {
    runId,
    scenario,
    engine,
    passed,
    failed: thresholds.filter((t) => !t.ok).map((t) => t.name),
    rate,
    duration,
    httpP50Ms: report.http.p50,
    httpP95Ms: report.http.p95,
    httpP99Ms: report.http.p99,
    errorRate: report.http.errorRate,
    achievedRate: report.http.rate,
    e2eP50Ms: report.e2e.p50,
    e2eP99Ms: report.e2e.p99,
    maxLag,
    maxLagSeconds,
    drainSeconds,
    lost: ledger?.lost ?? null,
    duplicated: ledger?.duplicated ?? null,
    orders: ledger?.orders?.orders ?? null,
    ordersNotFinal: ledger?.orders ? ledger.orders.notFinal + ledger.orders.stockHeld : null,
    knee: knee?.rate ?? null,
    sustainedRate: knee?.sustainedRate ?? null,
    peakRate: knee ? Math.round(knee.peakRate) : null,
    reportDir: dir,
    reportHtml: htmlPath,
    reportJson: jsonPath,
  };
}

/** Where everything is, after `make demo` (the stack stays up). */
function demoFooter(f: RunFigures): string {
  const jaeger = env("JAEGER_UI_URL", "http://127.0.0.1:16686");
  const rel = relative(process.cwd(), f.reportHtml) || f.reportHtml;
  return `
The stack is still running (stop it with \`make down\`; status: \`make ps\`):
  console       http://127.0.0.1:8080/console/   (this run's events, their journeys and traces, Kafka, live figures)
  front door    http://127.0.0.1:8080   (every route; Swagger UI at /swagger)
  producer      http://127.0.0.1:8081/api/events   (write routes need  X-API-Key: eventscope-demo-key)
  event store   http://127.0.0.1:8082/api/eventstore/stats
  projection    http://127.0.0.1:8083/api/projections
  notification  http://127.0.0.1:8084/api/deliveries
  processes     http://127.0.0.1:8086/api/processes
  Prometheus    http://127.0.0.1:9090/graph?g0.expr=${encodeURIComponent(
    f.engine === "k6"
      ? `k6_write_duration_p99{testid="${f.runId}"}`
      : `histogram_quantile(0.99, sum by (le) (rate(loadgen_http_request_duration_seconds_bucket{testid="${f.runId}"}[15s])))`,
  )}
  Jaeger API    ${jaeger}/api/services
  report        ${rel}
                file://${f.reportHtml}
Next: \`make load SCENARIO=load RATE=1000 DURATION=60s\`, \`make load SCENARIO=ramp\`, \`make load SCENARIO=flows\`.`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: "string", short: "s" },
      rate: { type: "string", short: "r" },
      duration: { type: "string", short: "d" },
      quiet: { type: "boolean", short: "q" },
      demo: { type: "boolean" },
      engine: { type: "string", short: "e" },
    },
  });
  const engine = chooseEngine(values.engine ?? process.env.ENGINE);
  if (values.demo) {
    // The demo shows the pipeline working end to end: it fails only when the ledger does (or
    // nothing ran); a missed latency SLO is printed, not fatal, on a busy 2-core box.
    const figures = await runScenario({
      scenario: "load",
      rate: Number(values.rate ?? process.env.DEMO_RATE ?? 200),
      duration: values.duration ?? process.env.DEMO_DURATION ?? "20s",
      engine,
    });
    process.stdout.write(demoFooter(figures) + "\n");
    const ledgerOk = figures.lost === 0 && figures.duplicated === 0;
    if (!figures.passed && ledgerOk) {
      process.stdout.write(
        `\nThe demo run missed ${figures.failed.length} SLO(s) (${figures.failed.join(", ")}); nothing was lost or duplicated.\n`,
      );
    }
    process.exitCode = ledgerOk ? 0 : 1;
    return;
  }
  const scenario = (values.scenario ?? process.env.SCENARIO ?? "smoke") as ScenarioName;
  if (!(scenario in scenarioDefaults)) {
    process.stderr.write(
      `unknown scenario "${scenario}"; one of: ${Object.keys(scenarioDefaults).join(", ")}\n`,
    );
    process.exit(2);
  }
  const rate = values.rate ?? process.env.RATE;
  const duration = values.duration ?? process.env.DURATION;
  const figures = await runScenario({
    scenario,
    ...(rate ? { rate: Number(rate) } : {}),
    ...(duration ? { duration } : {}),
    quiet: values.quiet ?? false,
    engine,
  });
  process.exitCode = figures.passed ? 0 : 1;
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
