/** The run's report as one self-contained HTML page: inline CSS, inline SVG charts, inline JS. */
import { barChart, palette, timeChart, type ChartSeries } from "./charts.ts";
import { NOISY_OTHER_SHARE, SATURATED_SHARE, type RunCost } from "./cost.ts";
import type { NamedSeries, Point, Report, ThresholdResult } from "./model.ts";
import { fmtMs, fmtNum, fmtPct } from "./stats.ts";
import { describeLoad, fmtValue, machineText, overBy, probeReadsText } from "./summary.ts";

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const statColor: Record<string, string> = {
  p50: "#16a34a",
  p95: "#ea580c",
  p99: "#dc2626",
  max: "#94a3b8",
};
const groupColor: Record<string, string> = {
  "event-store": "#2563eb",
  projection: "#9333ea",
  notification: "#0891b2",
};

/** Rolling percentiles of the probe samples, per window of `seconds`. */
function rolling(samples: Point[], p: number, from: number, seconds: number): Point[] {
  if (samples.length === 0) return [];
  const out: Point[] = [];
  const w = seconds * 1000;
  const last = samples[samples.length - 1]![0];
  for (let t = from; t <= last; t += w) {
    const vals = samples
      .filter(([at]) => at >= t && at < t + w)
      .map(([, v]) => v)
      .sort((a, b) => a - b);
    if (vals.length === 0) continue;
    const rank = Math.min(vals.length - 1, Math.max(0, Math.ceil((p / 100) * vals.length) - 1));
    out.push([t + w / 2, vals[rank]!]);
  }
  return out;
}

function tile(label: string, value: string, t: ThresholdResult | undefined, detail = ""): string {
  const state = t === undefined ? "info" : t.ok ? "ok" : "bad";
  const atLeast = t?.unit === "/s";
  const rule =
    t === undefined
      ? ""
      : `${atLeast ? "target ≥" : "SLO ≤"} ${fmtValue(t.limit, t.unit)}${
          t.ok ? "" : ` · ${atLeast ? "short by" : "over by"} ${overBy(t).replace(/^[+-]/, "")}`
        }`;
  return `<div class="tile ${state}"><div class="label">${esc(label)}</div><div class="value">${esc(
    value,
  )}</div>${rule ? `<div class="rule">${esc(rule)}</div>` : ""}${
    detail ? `<div class="rule detail">${esc(detail)}</div>` : ""
  }</div>`;
}

const script = `
(function () {
  function fmt(v, unit) {
    if (v === null || v === undefined || !isFinite(v)) return "-";
    var a = Math.abs(v), n;
    if (unit === "ms" && a >= 1000) return (v / 1000).toFixed(2) + " s";
    n = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
    return unit === "/s" ? n + "/s" : unit === "%" ? n + "%" : unit ? n + " " + unit : n;
  }
  document.querySelectorAll("figure.chart").forEach(function (fig) {
    var holder = fig.querySelector("script.chart-data");
    var svg = fig.querySelector("svg");
    var hover = fig.querySelector("rect.hover");
    var cursor = fig.querySelector("line.cursor");
    var tip = fig.querySelector(".tip");
    if (!holder || !svg || !hover || !tip) return;
    var d = JSON.parse(holder.textContent);
    hover.addEventListener("mousemove", function (ev) {
      var box = svg.getBoundingClientRect();
      var px = (ev.clientX - box.left) * (d.W / box.width);
      var t = d.xMin + ((px - d.l) / d.w) * (d.xMax - d.xMin);
      var rows = [];
      d.series.forEach(function (s) {
        var best = null, bd = Infinity;
        for (var i = 0; i < s.pts.length; i++) {
          var dd = Math.abs(s.pts[i][0] - t);
          if (dd < bd) { bd = dd; best = s.pts[i]; }
        }
        if (best && bd <= Math.max(2, (d.xMax - d.xMin) / 40)) {
          rows.push('<span style="color:' + s.color + '">\\u25CF</span> ' + s.name + ": <b>" + fmt(best[1], d.unit) + "</b>");
        }
      });
      cursor.setAttribute("x1", px); cursor.setAttribute("x2", px);
      cursor.setAttribute("visibility", "visible");
      tip.innerHTML = "<div>t+" + t.toFixed(1) + " s</div>" + rows.join("<br>");
      tip.hidden = false;
      var left = ev.clientX - fig.getBoundingClientRect().left + 14;
      tip.style.left = Math.min(left, fig.clientWidth - 200) + "px";
      tip.style.top = (ev.clientY - fig.getBoundingClientRect().top + 10) + "px";
    });
    hover.addEventListener("mouseleave", function () {
      tip.hidden = true; cursor.setAttribute("visibility", "hidden");
    });
  });
  document.body.setAttribute("data-charts", String(document.querySelectorAll("figure.chart svg path.series, figure.chart svg g.series").length));
})();
`;

const css = `
:root { --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --ok:#15803d; --okbg:#f0fdf4; --bad:#b91c1c; --badbg:#fef2f2; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; color:var(--ink); background:#f8fafc; }
main { max-width:1320px; margin:0 auto; padding:24px 28px 48px; }
header { display:flex; justify-content:space-between; align-items:flex-start; gap:24px; margin-bottom:18px; }
h1 { font-size:22px; margin:0 0 4px; letter-spacing:-0.01em; }
h2 { font-size:16px; margin:30px 0 10px; }
.meta { color:var(--muted); font-size:13px; }
.meta code { color:var(--ink); }
.verdict { font-weight:700; font-size:18px; padding:10px 18px; border-radius:10px; white-space:nowrap; }
.verdict.pass { background:var(--okbg); color:var(--ok); border:1px solid #bbf7d0; }
.verdict.fail { background:var(--badbg); color:var(--bad); border:1px solid #fecaca; }
.verdict small { display:block; font-weight:500; font-size:12px; }
.tiles { display:grid; grid-template-columns:repeat(auto-fill,minmax(180px,1fr)); gap:10px; }
.tile { background:#fff; border:1px solid var(--line); border-left:4px solid #94a3b8; border-radius:8px; padding:10px 12px; }
.tile.ok { border-left-color:#16a34a; } .tile.warn { border-left-color:#ca8a04; } .tile.bad { border-left-color:#dc2626; background:#fffafa; }
.tile .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.tile .value { font-size:22px; font-weight:650; margin:2px 0; font-variant-numeric:tabular-nums; }
.tile .rule { font-size:12px; color:var(--muted); }
.tile.bad .rule { color:var(--bad); } .tile .rule.detail { color:var(--muted); }
.grid2 { display:grid; grid-template-columns:repeat(2,minmax(0,1fr)); gap:14px; }
@media (max-width: 900px) { .grid2 { grid-template-columns:1fr; } }
figure.chart { position:relative; margin:0; background:#fff; border:1px solid var(--line); border-radius:10px; padding:12px 14px 10px; }
figcaption { display:flex; flex-direction:column; margin-bottom:4px; }
figcaption .title { font-weight:650; }
figcaption .sub { color:var(--muted); font-size:12px; }
figure svg { width:100%; height:auto; display:block; }
.empty { color:var(--muted); padding:40px 0; text-align:center; font-style:italic; }
.legend { display:flex; flex-wrap:wrap; gap:4px 14px; font-size:12px; color:#334155; margin-top:2px; }
.legend .key { display:inline-flex; align-items:center; gap:5px; white-space:nowrap; }
.legend .off { color:var(--bad); }
.tip { position:absolute; pointer-events:none; background:rgba(15,23,42,.92); color:#fff; font-size:12px; padding:6px 8px; border-radius:6px; min-width:140px; z-index:2; }
svg text { font-size:11px; fill:#475569; font-family:inherit; }
svg .ytick { text-anchor:end; } svg .xtick { text-anchor:middle; }
svg .grid { stroke:#eef2f7; } svg .xgrid { stroke:#f5f7fa; } svg .axis { stroke:#cbd5e1; }
svg .hline { stroke-dasharray:6 4; stroke-width:1.3; } svg .hlabel { text-anchor:end; font-weight:600; } svg .hlabel-b { text-anchor:middle; font-weight:600; }
svg .vline { stroke:#334155; stroke-dasharray:2 3; } svg .vlabel { fill:#334155; }
svg .band-label { fill:#64748b; font-size:10px; }
svg .cursor { stroke:#94a3b8; }
svg .blabel { text-anchor:end; font-weight:600; } svg .bvalue { font-variant-numeric:tabular-nums; }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); border-radius:8px; overflow:hidden; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:7px 10px; border-bottom:1px solid #f1f5f9; font-size:13px; }
th { background:#f8fafc; color:#475569; font-weight:600; font-size:12px; }
td.num, th.num { text-align:right; } td.ok { color:var(--ok); font-weight:600; } td.bad { color:var(--bad); font-weight:600; }
tr.bad td { background:#fffafa; } table.nowrap td, table.nowrap th { white-space:nowrap; }
a { color:#1d4ed8; text-decoration:none; } a:hover { text-decoration:underline; }
code { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:12px; }
.notes { color:#475569; font-size:13px; } .notes li { margin:3px 0; }
.ledger { display:grid; grid-template-columns:repeat(auto-fill,minmax(130px,1fr)); gap:8px; }
.ledger div { background:#fff; border:1px solid var(--line); border-radius:8px; padding:8px 10px; }
.ledger b { display:block; font-size:18px; font-variant-numeric:tabular-nums; }
.ledger .bad b { color:var(--bad); } .ledger span { color:var(--muted); font-size:12px; }
footer { margin-top:30px; color:var(--muted); font-size:12px; }
`;

export function renderHtml(r: Report): string {
  const x0 = r.times.loadStart;
  const xDomain: [number, number] = [
    x0 - 2000,
    Math.max(r.times.loadEnd, r.times.drained ?? r.times.loadEnd) + 4000,
  ];
  const drainBand = {
    from: r.times.loadEnd,
    to: r.times.drained ?? xDomain[1],
    label: r.times.drained ? `drain ${r.lag.drainSeconds?.toFixed(2)} s` : "not drained",
    color: r.times.drained ? "#f0f9ff" : "#fef2f2",
  };
  const stopLine = { t: r.times.loadEnd, label: "load stops" };
  const th = (frag: string) => r.thresholds.find((t) => t.rule.includes(frag) || t.name === frag);

  const latencySeries: ChartSeries[] = r.series.latency.map((s) => {
    const stat = s.name.split(" ")[0]!;
    return { name: s.name, points: s.points, color: statColor[stat], dash: stat === "max", kind: "line" };
  });
  for (const s of r.series.serverLatency) {
    latencySeries.push({
      name: `producer ${s.name}`,
      points: s.points,
      color: s.name.includes("99") ? "#7c3aed" : "#0891b2",
      dash: true,
      width: 1.3,
    });
  }
  const allLat = latencySeries.flatMap((s) => s.points.map(([, v]) => v)).filter((v) => v > 0);
  const wideLat = allLat.length > 0 && Math.max(...allLat) / Math.max(0.01, Math.min(...allLat)) > 40;

  const byName = (list: NamedSeries[], colors: Record<string, string>): ChartSeries[] =>
    list.map((s, i) => ({
      name: s.name,
      points: s.points,
      color: colors[s.name] ?? palette[i % palette.length],
    }));

  const e2e = r.series.e2eSamples;
  const e2eWide =
    e2e.length > 0 &&
    Math.max(...e2e.map(([, v]) => v)) / Math.max(1, Math.min(...e2e.map(([, v]) => v))) > 40;
  const windowS = Number(r.params.windowSeconds ?? 5);
  // Reports from before there were two engines were all k6 runs.
  const engine = r.engine?.name ?? "k6";
  const engineLabel = r.engine ? `${r.engine.name} engine (${r.engine.version})` : (r.machine.k6 ?? "k6");

  const charts: string[] = [];
  charts.push(
    timeChart({
      id: "chart-latency",
      title: "HTTP latency of writes over time",
      subtitle: `${engine}, percentiles of each ${windowS} s window; dashed: the producer's own histogram (Prometheus)`,
      series: latencySeries,
      x0,
      xDomain,
      unit: "ms",
      log: wideLat,
      hlines: [{ value: r.slo.SLO_HTTP_P99_MS, label: `p99 SLO ${r.slo.SLO_HTTP_P99_MS} ms` }],
      vlines: [stopLine],
      empty:
        engine === "k6"
          ? "no k6 series in Prometheus for this run (remote write unavailable?)"
          : "no write latencies recorded in this run",
    }),
  );
  charts.push(
    timeChart({
      id: "chart-throughput",
      title: "Throughput",
      subtitle: `events per second: accepted by the producer (${engine}), appended to events.ingest and consumed by each group (offsets, every second)`,
      series: byName(r.series.throughput, {
        "accepted (k6, 202)": "#0f172a",
        "accepted (native, 202)": "#0f172a",
        "produced to events.ingest": "#64748b",
        "consumed by event-store": groupColor["event-store"]!,
        "consumed by projection": groupColor.projection!,
        "consumed by notification": groupColor.notification!,
      }).map((s) => (s.name.startsWith("produced") ? { ...s, dash: true } : s)),
      x0,
      xDomain,
      unit: "/s",
      vlines: [stopLine],
      bands: [drainBand],
      hlines:
        typeof r.params.rate === "number" && r.scenario !== "ramp" && r.scenario !== "spike"
          ? [{ value: r.params.rate, label: `target ${r.params.rate}/s`, color: "#64748b" }]
          : [],
    }),
  );
  charts.push(
    timeChart({
      id: "chart-lag",
      title: "Consumer lag per group (messages)",
      subtitle: "sampled every second during the load, every 200 ms after it until drained",
      series: byName(r.series.lagMessages, groupColor).map((s) => ({ ...s, kind: "step" as const })),
      x0,
      xDomain,
      unit: "msgs",
      bands: [drainBand],
      vlines: [stopLine],
      hlines: [{ value: r.slo.SLO_MAX_LAG_MESSAGES, label: `max ${fmtNum(r.slo.SLO_MAX_LAG_MESSAGES)}` }],
    }),
  );
  charts.push(
    timeChart({
      id: "chart-lag-seconds",
      title: "Consumer lag per group (seconds)",
      subtitle:
        r.lag.source === "lag-endpoint"
          ? "age of the oldest unconsumed message (the services' GET /lag)"
          : "age of the oldest unconsumed message (lower bound, 1 s resolution)",
      series: byName(r.series.lagSeconds, groupColor).map((s) => ({ ...s, kind: "step" as const })),
      x0,
      xDomain,
      unit: "s",
      bands: [drainBand],
      vlines: [stopLine],
      hlines: [{ value: r.slo.SLO_MAX_LAG_SECONDS, label: `max ${r.slo.SLO_MAX_LAG_SECONDS} s` }],
    }),
  );
  charts.push(
    timeChart({
      id: "chart-e2e",
      title: "End-to-end latency: accepted → visible in the read model",
      subtitle: `each dot is one probe event; lines: p50 and p99 per ${windowS} s`,
      series: [
        { name: "probe samples", points: e2e, kind: "dots", color: "#2563eb" },
        { name: "p50", points: rolling(e2e, 50, x0, windowS), color: statColor.p50 },
        { name: "p99", points: rolling(e2e, 99, x0, windowS), color: statColor.p99 },
      ],
      x0,
      xDomain,
      unit: "ms",
      log: e2eWide,
      hlines: [{ value: r.slo.SLO_E2E_P99_MS, label: `p99 SLO ${r.slo.SLO_E2E_P99_MS} ms` }],
      vlines: [stopLine],
      empty: "the probe recorded no samples",
    }),
  );
  charts.push(
    barChart({
      id: "chart-e2e-dist",
      title: "End-to-end percentiles",
      subtitle: `${r.e2e.samples} probe events${probeReadsText(r.e2e)}${r.e2e.timeouts ? `, ${r.e2e.timeouts} never seen` : ""}`,
      unit: "ms",
      bars: [
        { label: "p50", value: r.e2e.p50 },
        { label: "p90", value: r.e2e.p90 },
        { label: "p95", value: r.e2e.p95 },
        { label: "p99", value: r.e2e.p99 },
        { label: "max", value: r.e2e.max, color: "#94a3b8" },
      ],
      limit: { value: r.slo.SLO_E2E_P99_MS, label: `p99 SLO ${r.slo.SLO_E2E_P99_MS} ms` },
    }),
  );
  charts.push(
    timeChart({
      id: "chart-stages",
      title: "Platform end-to-end p99 per stage",
      subtitle: "from the event's acceptance to each stage (the services' histograms, Prometheus)",
      series: byName(r.series.stageP99, {}),
      x0,
      xDomain,
      unit: "ms",
      vlines: [stopLine],
      empty: "no stage histograms in Prometheus for this window",
    }),
  );
  charts.push(
    timeChart({
      id: "chart-cpu",
      title: "CPU by process",
      subtitle: `percent of one core (/proc, every second); machine = all ${r.machine.cpus} cores (${
        r.machine.cpus * 100
      }% = saturated); other = anything else on the box`,
      series: r.series.cpu
        .filter((s) => Math.max(0, ...s.points.map(([, v]) => v)) >= 3)
        .map((s, i) => ({
          name: s.name,
          points: s.points,
          color:
            s.name === "machine" ? "#0f172a" : s.name === "other" ? "#94a3b8" : palette[i % palette.length],
          dash: s.name === "machine" || s.name === "other",
          width: s.name === "machine" ? 2.4 : 1.5,
        })),
      x0,
      xDomain,
      unit: "%",
      vlines: [stopLine],
      empty: "no /proc samples (not Linux?)",
      hlines: [{ value: r.machine.cpus * 100, label: `${r.machine.cpus} cores`, color: "#64748b" }],
    }),
  );

  const tiles = [
    tile("HTTP p99", fmtMs(r.http.p99), th("http_req_duration{kind:write} p(99)")),
    tile("HTTP p95", fmtMs(r.http.p95), th("http_req_duration{kind:write} p(95)")),
    tile("HTTP p50", fmtMs(r.http.p50), undefined, "writes, whole run"),
    tile("HTTP average", fmtMs(r.http.avg), undefined, "mean of the writes"),
    tile("HTTP max", fmtMs(r.http.max), undefined, "slowest write"),
    tile("Errors", fmtPct(r.http.errorRate), th("http_req_failed"), `of ${fmtNum(r.http.requests)} writes`),
    tile(
      "Accepted",
      `${fmtNum(r.http.rate, 0)}/s`,
      th("Offered rate"),
      `${fmtNum(r.http.accepted)} events (202)${r.http.dropped ? `, ${fmtNum(r.http.dropped)} dropped` : ""}${
        r.http.late ? `, ${fmtNum(r.http.late)} late` : ""
      }`,
    ),
    tile("E2E p99", fmtMs(r.e2e.p99), th("e2e_latency"), `p50 ${fmtMs(r.e2e.p50)}`),
    tile("Max lag", `${fmtNum(r.lag.maxLag)}`, th("Max consumer lag"), "messages"),
    tile(
      "Max lag age",
      r.lag.maxLagSeconds === null ? "-" : `${r.lag.maxLagSeconds.toFixed(2)} s`,
      th("Max consumer lag (age)"),
    ),
    tile(
      "Drain",
      r.lag.drainSeconds === null ? "not drained" : `${r.lag.drainSeconds.toFixed(2)} s`,
      th("Drain time"),
    ),
    r.ledger
      ? `<div class="tile ${r.ledger.ok ? "ok" : "bad"}"><div class="label">Ledger</div><div class="value">${
          r.ledger.lost
        } lost · ${r.ledger.duplicated} dup</div><div class="rule">${fmtNum(r.ledger.stored)} stored, ${fmtNum(
          r.ledger.projected,
        )} projected</div></div>`
      : `<div class="tile bad"><div class="label">Ledger</div><div class="value">not checked</div></div>`,
  ];
  if (r.engine?.cpuMsPerRequest != null) {
    tiles.push(
      tile(
        "Generator CPU",
        `${r.engine.cpuMsPerRequest.toFixed(3)} ms/req`,
        undefined,
        `${r.engine.name}: ${r.engine.cpuSeconds!.engine.toFixed(1)} s + runner ${r.engine.cpuSeconds!.runner.toFixed(1)} s`,
      ),
    );
  }
  const cost = r.cost;
  if (cost) {
    const w = cost.loadAndDrain;
    const noisy = w.machine.other >= NOISY_OTHER_SHARE || w.machine.busy >= SATURATED_SHARE;
    tiles.push(
      tile(
        "Stack CPU / event",
        w.stack.msPerEvent === null ? "-" : fmtMs(w.stack.msPerEvent),
        undefined,
        `${w.stack.cores.toFixed(2)} cores over load + drain; load only ${fmtMs(cost.load.stack.msPerEvent)}`,
      ),
      `<div class="tile ${noisy ? "warn" : "info"}"><div class="label">Machine busy</div><div class="value">${fmtPct(
        w.machine.busy,
        0,
      )}</div><div class="rule">other ${fmtPct(w.machine.other, 0)} · generator ${fmtPct(
        w.machine.generator,
        0,
      )} · stack ${fmtPct(w.machine.stack, 0)}</div></div>`,
    );
  }
  if (r.knee) {
    tiles.unshift(
      `<div class="tile info"><div class="label">Knee (within SLOs)</div><div class="value">${
        r.knee.rate === 0 && r.knee.steps.length > 0
          ? `&lt; ${fmtNum(r.knee.steps[0]!.rate)}`
          : fmtNum(r.knee.rate)
      }/s</div><div class="rule">sustained latency aside: ${fmtNum(r.knee.sustainedRate)}/s; peak achieved: ${fmtNum(
        r.knee.peakRate ?? 0,
      )}/s</div></div>`,
    );
  }

  const thresholdRows = r.thresholds
    .map(
      (t) =>
        `<tr class="${t.ok ? "" : "bad"}"><td>${esc(t.name)}</td><td><code>${esc(t.rule)}</code></td><td class="num">${esc(
          fmtValue(t.observed, t.unit),
        )}</td><td class="num">${esc(fmtValue(t.limit, t.unit))}</td><td class="${t.ok ? "ok" : "bad"}">${
          t.ok ? "ok" : `missed ${esc(overBy(t))}`
        }</td><td>${t.source}</td></tr>`,
    )
    .join("");

  const slowRows = r.slowest
    .map(
      (s) =>
        `<tr><td class="num">${esc(fmtMs(s.e2eMs))}</td><td class="num">${esc(fmtMs(s.httpMs))}</td><td class="num">${esc(
          fmtMs(s.afterAckMs ?? null),
        )}</td><td>t+${((s.at - x0) / 1000).toFixed(1)} s</td><td><code>${esc(s.eventId)}</code></td><td>${
          s.traceId
            ? `<a href="${esc(r.links.jaeger)}/trace/${esc(s.traceId)}" target="_blank" rel="noopener"><code>${esc(
                s.traceId,
              )}</code></a>`
            : "-"
        }</td></tr>`,
    )
    .join("");

  const lagRows = r.lag.groups
    .map(
      (g) =>
        `<tr><td>${esc(g.group)}</td><td><code>${esc(g.topic)}</code></td><td class="num">${fmtNum(
          g.maxLag,
        )}</td><td class="num">${g.maxLagSeconds === null ? "-" : g.maxLagSeconds.toFixed(2) + " s"}</td><td>${esc(
          g.verdicts.join(", ") || "-",
        )}</td></tr>`,
    )
    .join("");

  let kneeSection = "";
  if (r.knee) {
    const steps = r.knee.steps;
    // Each step held for its whole length: a flat segment per step.
    const stepSeries = (f: (s: (typeof steps)[number]) => number | null): Point[] =>
      steps.flatMap((s) => {
        const v = f(s);
        return v === null ? [] : [[s.from, v] as Point, [Math.min(s.to, r.times.loadEnd), v] as Point];
      });
    const kslo = r.knee.slo ?? r.slo;
    kneeSection = `<h2>The knee</h2><div class="grid2">${timeChart({
      id: "chart-knee-rate",
      title: "Target vs achieved rate per step",
      subtitle: `knee within SLOs: ${fmtNum(r.knee.rate)}/s; sustained: ${fmtNum(r.knee.sustainedRate)}/s`,
      series: [
        { name: "target", points: stepSeries((s) => s.rate), color: "#94a3b8", kind: "step", dash: true },
        { name: "achieved", points: stepSeries((s) => s.achieved), color: "#2563eb" },
      ],
      x0,
      xDomain,
      unit: "/s",
      hlines:
        r.knee.rate > 0 ? [{ value: r.knee.rate, label: `knee ${r.knee.rate}/s`, color: "#16a34a" }] : [],
    })}${timeChart({
      id: "chart-knee-latency",
      title: "HTTP p99 and e2e p99 per step",
      series: [
        { name: "HTTP p99", points: stepSeries((s) => s.p99), color: statColor.p99 },
        { name: "e2e p99", points: stepSeries((s) => s.e2eP99), color: "#9333ea" },
      ],
      x0,
      xDomain,
      unit: "ms",
      log: true,
      hlines: [
        { value: kslo.SLO_HTTP_P99_MS, label: `HTTP p99 SLO ${kslo.SLO_HTTP_P99_MS} ms` },
        { value: kslo.SLO_E2E_P99_MS, label: `e2e p99 SLO ${kslo.SLO_E2E_P99_MS} ms`, color: "#9333ea" },
      ],
    })}</div>
<table style="margin-top:12px"><thead><tr><th>step</th><th>achieved</th><th>errors</th><th>HTTP p50</th><th>HTTP p99</th><th>e2e p99</th><th>lag</th><th>stack CPU/event</th><th>within SLOs</th><th>why not</th></tr></thead><tbody>${steps
      .map(
        (s) =>
          `<tr class="${s.withinSlo ? "" : "bad"}"><td class="num">${fmtNum(s.rate)}/s</td><td class="num">${fmtNum(
            s.achieved,
          )}/s</td><td class="num">${fmtPct(s.errorRate)}</td><td class="num">${fmtMs(s.p50)}</td><td class="num">${fmtMs(
            s.p99,
          )}</td><td class="num">${fmtMs(s.e2eP99)}</td><td class="num">${fmtNum(s.lag)}${
            s.lagSeconds !== null ? ` / ${s.lagSeconds.toFixed(1)} s` : ""
          }</td><td class="num">${fmtMs(s.cpuMsPerEvent ?? null)}${
            s.stackCores != null ? ` · ${s.stackCores.toFixed(2)} cores` : ""
          }</td><td class="${s.withinSlo ? "ok" : "bad"}">${s.withinSlo ? "yes" : s.sustained ? "sustained" : "no"}</td><td>${esc(
            s.why.join("; "),
          )}</td></tr>`,
      )
      .join("")}</tbody></table>`;
  }

  const l = r.ledger;
  const ledgerSection = l
    ? `<div class="ledger">${[
        ["accepted (202)", l.accepted, false],
        ["stored", l.stored, false],
        ["rejected", l.rejected, false],
        ["projected", l.projected, false],
        ["lost", l.lost, l.lost > 0],
        ["duplicated", l.duplicated, l.duplicated > 0],
        ["not projected", l.notProjected, l.notProjected > 0],
        ["projected twice", l.projectedTwice, l.projectedTwice > 0],
        ["unanswered", l.unanswered, false],
      ]
        .map(
          ([k, v, bad]) =>
            `<div class="${bad ? "bad" : ""}"><b>${fmtNum(v as number)}</b><span>${k}</span></div>`,
        )
        .join("")}</div><p class="notes">By aggregate type: ${Object.entries(l.byAggregateType)
        .map(([k, v]) => `${esc(k)} ${fmtNum(v)}`)
        .join(", ")}${
        Object.keys(l.rejectedByCode).length
          ? `. Rejected by code: ${Object.entries(l.rejectedByCode)
              .map(([k, v]) => `${esc(k)} ${v}`)
              .join(", ")}`
          : ""
      }.</p>`
    : `<p class="notes">The ledger could not be checked.</p>`;

  const when = new Date(r.times.loadStart)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
  const failed = r.thresholds.filter((t) => !t.ok);
  const params = Object.entries(r.params)
    .map(([k, v]) => `<code>${esc(k)}=${esc(String(v))}</code>`)
    .join(" ");

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${r.passed ? "PASS" : "FAIL"} · ${esc(r.scenario)} · ${esc(r.runId)} · Eventscope load run</title>
<style>${css}</style></head>
<body data-run="${esc(r.runId)}" data-passed="${r.passed}"><main>
<header><div><h1>Eventscope load run · ${esc(describeLoad(r))}</h1>
<div class="meta"><code>${esc(r.runId)}</code> · ${esc(when)} · load ${(
    (r.times.loadEnd - r.times.loadStart) /
    1000
  ).toFixed(1)} s · ${esc(r.machine.host)}, ${r.machine.cpus} cores, load average ${r.machine.loadavg
    .map((v) => v.toFixed(2))
    .join(" ")} · <span class="engine">${esc(engineLabel)}</span></div>
<div class="meta">${params}</div></div>
<div class="verdict ${r.passed ? "pass" : "fail"}">${r.passed ? "PASSED" : "FAILED"}<small>${
    r.passed
      ? `all ${r.thresholds.length} thresholds held`
      : `${failed.length} of ${r.thresholds.length} thresholds missed`
  }</small></div></header>
<section class="tiles">${tiles.join("")}</section>
${cost ? costSection(cost) : ""}
${kneeSection}
<h2>Over time</h2>
<section class="grid2">${charts.join("\n")}</section>
<h2>Thresholds</h2>
<table><thead><tr><th>what</th><th>rule</th><th>observed</th><th>limit</th><th>verdict</th><th>judged by</th></tr></thead><tbody>${thresholdRows}</tbody></table>
<h2>Slowest sampled events</h2>
<table><thead><tr><th>e2e (from the producer's stamp)</th><th>HTTP (to the 202)</th><th>after the 202</th><th>accepted at</th><th>event id</th><th>trace (Jaeger)</th></tr></thead><tbody>${
    slowRows || `<tr><td colspan="6">no probe samples</td></tr>`
  }</tbody></table>
<h2>Consumer groups</h2>
<table><thead><tr><th>group</th><th>topic</th><th>max lag</th><th>max age</th><th>verdicts seen</th></tr></thead><tbody>${lagRows}</tbody></table>
<h2>Ledger</h2>${ledgerSection}
<h2>How this was measured</h2><ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join("")}${r.warnings
    .slice(0, 10)
    .map((w) => `<li>${esc(w)}</li>`)
    .join("")}</ul>
<footer>Generated by <code>loadtests/src/run.ts</code> · data: <a href="report.json">report.json</a>, ${(
    r.engine?.files ?? (engine === "k6" ? ["k6-summary.json", "k6.log"] : ["summary.json"])
  )
    .map((f) => `<a href="${esc(f)}">${esc(f)}</a>`)
    .join(", ")} · Prometheus <a href="${esc(
    r.links.prometheus,
  )}">${esc(r.links.prometheus)}</a> · Jaeger <a href="${esc(r.links.jaeger)}">${esc(r.links.jaeger)}</a></footer>
</main><script>${script}</script></body></html>
`;
}

/** Under a JVM part's row: what its JIT compiler took of it (a fresh JVM compiles for minutes). */
function jitRow(cost: RunCost, part: string): string {
  const j = cost.jit.find((x) => x.part === part);
  if (!j) return "";
  return `<tr class="jit"><td>&nbsp;&nbsp;of which its JIT compiler</td><td class="num">${j.cpuSeconds.toFixed(
    1,
  )} s</td><td class="num">${fmtPct(j.share, 0)} of ${esc(part)}</td><td class="num">${fmtMs(
    j.msPerEvent,
  )}</td><td></td><td></td></tr>`;
}

/** What an event cost: ms per accepted event by part (a bar each), and the table behind it. */
function costSection(cost: RunCost): string {
  const w = cost.loadAndDrain;
  const byLoad = new Map(cost.load.parts.map((p) => [p.name, p]));
  const rows = w.parts
    .map(
      (p) =>
        `<tr><td>${esc(p.name)}</td><td class="num">${p.cpuSeconds.toFixed(1)} s</td><td class="num">${fmtPct(
          w.stack.cpuSeconds > 0 ? p.cpuSeconds / w.stack.cpuSeconds : null,
          0,
        )}</td><td class="num">${fmtMs(p.msPerEvent)}</td><td class="num">${fmtMs(
          byLoad.get(p.name)?.msPerEvent ?? null,
        )}</td><td class="num">${p.missingSamples ? `${p.missingSamples} of ${w.samples}` : "-"}</td></tr>${jitRow(
          cost,
          p.name,
        )}`,
    )
    .join("");
  const total = `<tr><th>stack</th><th class="num">${w.stack.cpuSeconds.toFixed(1)} s</th><th class="num">100%</th><th class="num">${fmtMs(
    w.stack.msPerEvent,
  )}</th><th class="num">${fmtMs(cost.load.stack.msPerEvent)}</th><th></th></tr>`;
  const chart = barChart({
    id: "chart-cost",
    title: "Stack CPU per accepted event, by part",
    subtitle: `ms of CPU per event over the load and its drain (${w.seconds.toFixed(1)} s, ${fmtNum(
      w.events,
    )} events); machine ${machineText(w)}`,
    unit: "ms",
    labelWidth: 124,
    bars: w.parts
      .filter((p) => (p.msPerEvent ?? 0) >= 0.005)
      .map((p, i) => ({ label: p.name, value: p.msPerEvent, color: palette[i % palette.length] })),
  });
  return `<h2>What an event cost</h2><div class="grid2">${chart}<div><table id="cost-table" class="nowrap"><thead><tr><th>part</th><th>CPU</th><th>share</th><th>per event<br>load + drain</th><th>per event<br>load only</th><th>samples<br>missing</th></tr></thead><tbody>${rows}</tbody><tfoot>${total}</tfoot></table><ul class="notes">${[
    "The stack: every sampled part but the generator, the runner and other processes. Per event: over the events accepted (202) in the run.",
    ...cost.notes,
  ]
    .map((n) => `<li>${esc(n)}</li>`)
    .join("")}</ul></div></div>`;
}
