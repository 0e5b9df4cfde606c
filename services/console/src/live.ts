// The live view's figures from Prometheus: fixed queries (the API takes a time window, never a
// query), points bounded per series, and the newest load reports from the reports folder.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Upstreams } from "./upstream.ts";

export const liveQueries = {
  eventsPerSecond: {
    accepted: 'sum(rate(events_published_total{service="producer"}[1m]))',
    stored: "sum(rate(events_stored_total[1m]))",
    projected: 'sum(rate(events_consumed_total{service="projection"}[1m]))',
    notified: 'sum(rate(events_consumed_total{service="notification"}[1m]))',
    processed: 'sum(rate(events_consumed_total{service="process-manager"}[1m]))',
  },
  e2eP50: "histogram_quantile(0.50, sum by (stage, le) (rate(event_end_to_end_latency_seconds_bucket[1m])))",
  e2eP99: "histogram_quantile(0.99, sum by (stage, le) (rate(event_end_to_end_latency_seconds_bucket[1m])))",
  lag: "sum by (group) (kafka_consumer_lag)",
} as const;

const MAX_POINTS = 240;

export interface Series {
  name: string;
  /** [epoch seconds, value | null] */
  points: [number, number | null][];
}

export interface LiveAnswer {
  from: number;
  to: number;
  step: number;
  eventsPerSecond: Series[];
  e2eP50: Series[];
  e2eP99: Series[];
  lag: Series[];
  errors: string[];
}

/** A window ending now, at most MAX_POINTS steps of whole seconds. */
export const liveWindow = (minutes: number, now = Date.now()) => {
  const to = Math.floor(now / 1000);
  const from = to - minutes * 60;
  return { from, to, step: Math.max(1, Math.ceil((to - from) / MAX_POINTS)) };
};

export async function liveFigures(upstreams: Upstreams, minutes: number): Promise<LiveAnswer> {
  const { from, to, step } = liveWindow(minutes);
  const errors: string[] = [];
  const range = async (
    query: string,
    label: (metric: Record<string, string>) => string,
  ): Promise<Series[]> => {
    const answer = await upstreams.call("prometheus", {
      path: ["/api/v1/query_range"],
      query: { query, start: from, end: to, step },
    });
    if (answer.status !== 200 || answer.body?.status !== "success") {
      errors.push(`prometheus answered ${answer.status} for ${query.slice(0, 80)}`);
      return [];
    }
    return (answer.body.data.result as { metric: Record<string, string>; values: [number, string][] }[]).map(
      (r) => ({
        name: label(r.metric),
        points: r.values.slice(-MAX_POINTS - 1).map(([t, v]) => {
          const n = Number(v);
          return [Number(t), Number.isFinite(n) ? n : null] as [number, number | null];
        }),
      }),
    );
  };
  const safe = (p: Promise<Series[]>) =>
    p.catch((error: unknown) => {
      errors.push((error as Error).message);
      return [] as Series[];
    });
  const stages = Object.entries(liveQueries.eventsPerSecond);
  const [perStage, p50, p99, lag] = await Promise.all([
    Promise.all(stages.map(([stage, q]) => safe(range(q, () => stage)))).then((l) => l.flat()),
    safe(range(liveQueries.e2eP50, (m) => m.stage ?? "all")),
    safe(range(liveQueries.e2eP99, (m) => m.stage ?? "all")),
    safe(range(liveQueries.lag, (m) => m.group ?? "all")),
  ]);
  return { from, to, step, eventsPerSecond: perStage, e2eP50: p50, e2eP99: p99, lag, errors };
}

export interface ReportSummary {
  runId: string;
  scenario: string | null;
  passed: boolean | null;
  modifiedAt: string;
  hasHtml: boolean;
}

const MAX_REPORT_JSON_BYTES = 16 * 1024 * 1024;

/** The newest `limit` reports (by the folder's modification time). */
export async function listReports(dir: string, limit: number): Promise<ReportSummary[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(d.name))
      .map((d) => d.name);
  } catch {
    return [];
  }
  const dated = await Promise.all(
    names.slice(0, 5000).map(async (name) => ({ name, mtime: (await stat(join(dir, name))).mtimeMs })),
  );
  dated.sort((a, b) => b.mtime - a.mtime || b.name.localeCompare(a.name));
  return Promise.all(
    dated.slice(0, limit).map(async ({ name, mtime }) => {
      let scenario: string | null = null;
      let passed: boolean | null = null;
      try {
        const file = join(dir, name, "report.json");
        if ((await stat(file)).size <= MAX_REPORT_JSON_BYTES) {
          const report = JSON.parse(await readFile(file, "utf8"));
          scenario = typeof report.scenario === "string" ? report.scenario : null;
          passed = typeof report.passed === "boolean" ? report.passed : null;
        }
      } catch {
        // no or unreadable report.json: listed without its figures
      }
      const hasHtml = await stat(join(dir, name, "index.html")).then(
        () => true,
        () => false,
      );
      return { runId: name, scenario, passed, modifiedAt: new Date(mtime).toISOString(), hasHtml };
    }),
  );
}
