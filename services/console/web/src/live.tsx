import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, apiBase, q } from "./api.ts";
import { ErrorBox, useLoad } from "./util.tsx";

interface Series {
  name: string;
  points: [number, number | null][];
}

const palette = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777"];

/** Series with their own timestamps, aligned on one x axis for uPlot. */
function align(series: Series[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const row: (number | null)[] = new Array(xs.length).fill(null);
    for (const [t, v] of s.points) row[index.get(t)!] = v;
    return row;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}

function Chart({ id, title, series, unit }: { id: string; title: string; series: Series[]; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const names = series.map((s) => s.name).join("|");
  useEffect(() => {
    if (!box.current) return;
    plot.current?.destroy();
    const opts: uPlot.Options = {
      width: Math.max(320, box.current.clientWidth || 600),
      height: 220,
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.name,
          stroke: palette[i % palette.length],
          width: 1.5,
          spanGaps: false,
        })),
      ],
      axes: [{}, { values: (_u, vals) => vals.map((v) => `${+v.toPrecision(3)}${unit}`), size: 70 }],
      scales: { x: { time: true } },
    };
    plot.current = new uPlot(opts, align(series), box.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [names]);
  useEffect(() => {
    plot.current?.setData(align(series));
  }, [series]);
  return (
    <figure class="chart" id={id} data-series={series.length}>
      <figcaption>{title}</figcaption>
      {series.length === 0 ? <p class="muted">no data in this window</p> : null}
      <div ref={box} />
    </figure>
  );
}

const bySeconds = (series: Series[], suffix: string): Series[] =>
  series.map((s) => ({ ...s, name: `${s.name} ${suffix}` }));

export function LivePage() {
  const [minutes, setMinutes] = useState(15);
  const live = useLoad(() => api(`api/live${q({ minutes })}`), [minutes], 5000);
  const reports = useLoad(() => api("api/reports"), [], 30_000);
  const d = live.data;
  return (
    <div>
      <div class="toolbar">
        <h2>Live</h2>
        <label>
          window{" "}
          <select value={minutes} onChange={(e) => setMinutes(Number((e.target as HTMLSelectElement).value))}>
            {[5, 15, 60, 180].map((m) => (
              <option value={m}>{m} min</option>
            ))}
          </select>
        </label>
        <span class="muted">refreshed every 5 s {live.loading ? "…" : ""}</span>
      </div>
      <ErrorBox error={live.error} />
      {d?.errors?.length ? <p class="muted">{d.errors.join("; ")}</p> : null}
      {d ? (
        <div class="charts">
          <Chart id="chart-rate" title="Events per second per stage" series={d.eventsPerSecond} unit="/s" />
          <Chart
            id="chart-e2e"
            title="End-to-end latency per stage (p50, p99)"
            series={[...bySeconds(d.e2eP50, "p50"), ...bySeconds(d.e2eP99, "p99")]}
            unit="s"
          />
          <Chart id="chart-lag" title="Consumer lag per group (messages)" series={d.lag} unit="" />
        </div>
      ) : null}
      <section class="card" id="reports">
        <h2>Latest load reports</h2>
        <ErrorBox error={reports.error} />
        {reports.data?.reports.length === 0 ? (
          <p class="muted">no report yet: `make load` or `make demo` writes one</p>
        ) : null}
        <ul>
          {reports.data?.reports.map((r: any) => (
            <li key={r.runId}>
              {r.hasHtml ? (
                <a
                  href={`${apiBase()}reports/${encodeURIComponent(r.runId)}/index.html`}
                  target="_blank"
                  rel="noreferrer"
                >
                  {r.runId}
                </a>
              ) : (
                r.runId
              )}{" "}
              <span class="muted">
                {r.scenario ?? ""} · {r.modifiedAt}
              </span>{" "}
              {r.passed === null ? null : (
                <span class={r.passed ? "ok" : "bad"}>{r.passed ? "passed" : "failed"}</span>
              )}{" "}
              <a class="muted" href={`${apiBase()}reports/${encodeURIComponent(r.runId)}/report.json`}>
                report.json
              </a>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
