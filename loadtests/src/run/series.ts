/**
 * The time series of a run's report: lag per group and the rates through each hop from the
 * runner's own samples, the latency and the platform's series from the engine and Prometheus.
 */
import type { EngineRun } from "../engine.ts";
import type { LagSample } from "../lag.ts";
import type { NamedSeries, Point, Report } from "../model.ts";
import type { Prometheus } from "../prometheus.ts";
import type { DrivenLoad, StartedRun } from "./drive.ts";
import type { RunSetup } from "./setup.ts";

/** Lag per group over the run from the sampler's samples. */
export function lagSeries(samples: LagSample[]) {
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
 * Messages appended to events.ingest between two instants, by anyone: the event store's group's
 * high watermarks at the last samples at or before each (null without two such samples).
 */
export function ingestedBetween(samples: LagSample[], from: number, to: number): number | null {
  const high = (s: LagSample | undefined) => s?.groups.find((g) => g.group === "event-store")?.high;
  const before = (t: number) => samples.filter((s) => s.t <= t && high(s) !== undefined).at(-1);
  const a = high(before(from) ?? samples.find((s) => high(s) !== undefined));
  const b = high(before(to));
  return a === undefined || b === undefined ? null : Math.max(0, b - a);
}

/**
 * Events per second through each hop, from the sampler's offsets (1 s resolution, no scrape
 * lag): appended to events.ingest (produced), consumed by each group (committed offsets).
 */
export function flowRates(samples: LagSample[]): NamedSeries[] {
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

/**
 * Every series of the report. Prometheus is read once k6's last push and one scrape after the
 * drain are in.
 */
export async function collectSeries(
  setup: RunSetup,
  started: StartedRun,
  load: DrivenLoad,
): Promise<{ series: Report["series"]; lagGroups: ReturnType<typeof lagSeries> }> {
  const { prom, promUp, sampler, cpu } = started;
  const { run, loadStart, loadEnd, drained } = load;
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
  const end = Math.max(Date.now(), (drained ?? loadEnd) + 3000);
  if (promUp) {
    const wait = (drained ?? loadEnd) + 6000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const p = await promSeries(
      prom,
      run,
      setup.runId,
      loadStart - 5000,
      end + 3000,
      setup.windowSeconds,
      loadStart,
    );
    series = { ...series, ...p };
  }
  const lagGroups = lagSeries(sampler.samples);
  series.lagMessages = [...lagGroups].map(([g, e]) => ({ name: g, points: e.msgs }));
  series.lagSeconds = [...lagGroups].map(([g, e]) => ({ name: g, points: e.secs }));
  series.cpu = cpu.toSeries();
  series.throughput = [...series.throughput, ...flowRates(sampler.samples)];
  series.e2eSamples = run.probes
    .map((p): Point => [p.stampedAt ?? p.acceptedAt, p.e2eMs])
    .sort((a, b) => a[0] - b[0]);
  return { series, lagGroups };
}
