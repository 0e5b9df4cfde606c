/**
 * Charts as inline SVG, drawn here (no library, no CDN): time on x (seconds from the start of the
 * load), lines or dots on y, threshold lines, shaded periods. A small script in the page adds a
 * hover read-out from the data embedded beside each chart.
 */
import type { Point } from "./model.ts";

export type Unit = "ms" | "s" | "msgs" | "/s" | "%" | "";

export interface ChartSeries {
  name: string;
  points: Point[];
  color?: string;
  dash?: boolean;
  kind?: "line" | "dots" | "step";
  width?: number;
}

export interface ChartSpec {
  id: string;
  title: string;
  subtitle?: string;
  series: ChartSeries[];
  /** Epoch ms of t = 0 on the axis (the load's start). */
  x0: number;
  xDomain?: [number, number];
  unit: Unit;
  log?: boolean;
  hlines?: { value: number; label: string; color?: string }[];
  bands?: { from: number; to: number; label: string; color?: string }[];
  vlines?: { t: number; label: string }[];
  empty?: string;
}

export const palette = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#64748b",
  "#ca8a04",
];

const W = 640;
const H = 260;
const M = { l: 70, r: 16, t: 14, b: 34 };

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function fmtUnit(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return "-";
  const abs = Math.abs(v);
  const n =
    abs >= 10_000
      ? `${(v / 1000).toFixed(abs >= 100_000 ? 0 : 1)}k`
      : abs >= 100
        ? v.toFixed(0)
        : abs >= 10
          ? v.toFixed(1).replace(/\.0$/, "")
          : abs >= 1
            ? v.toFixed(2).replace(/\.?0+$/, "")
            : v === 0
              ? "0"
              : v.toPrecision(2);
  if (unit === "ms" && abs >= 1000) return `${(v / 1000).toFixed(abs >= 10_000 ? 0 : 1)} s`;
  return unit === "" ? n : unit === "/s" ? `${n}/s` : unit === "%" ? `${n}%` : `${n} ${unit}`;
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

function timeTicks(min: number, max: number): number[] {
  const span = Math.max(1, max - min);
  const choices = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600];
  const step = choices.find((c) => span / c <= 8) ?? 3600;
  const out: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) out.push(t);
  return out;
}

const fmtT = (s: number) => {
  if (Math.abs(s) < 120) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  const r = Math.round(s - m * 60);
  return r === 0 ? `${m}m` : `${m}m${String(r).padStart(2, "0")}`;
};

/** A time-series chart as a <figure> with an <svg>. */
export function timeChart(spec: ChartSpec): string {
  const series = spec.series.filter((s) => s.points.length > 0);
  const all = series.flatMap((s) => s.points);
  const header = `<figcaption><span class="title">${esc(spec.title)}</span>${
    spec.subtitle ? `<span class="sub">${esc(spec.subtitle)}</span>` : ""
  }</figcaption>`;
  if (all.length === 0) {
    return `<figure class="chart" id="${spec.id}">${header}<div class="empty">${esc(
      spec.empty ?? "no data for this run",
    )}</div></figure>`;
  }
  const xs = all.map(([t]) => t);
  const [xMinAbs, xMaxAbs] = spec.xDomain ?? [Math.min(...xs), Math.max(...xs)];
  const xMin = (xMinAbs - spec.x0) / 1000;
  const xMax = Math.max(xMin + 1, (xMaxAbs - spec.x0) / 1000);
  const ys = all.map(([, v]) => v);
  let yMax = Math.max(...ys);
  let yMin = spec.log ? Math.max(Math.min(...ys.filter((v) => v > 0)), 1e-3) : 0;
  const offScale: string[] = [];
  for (const h of spec.hlines ?? []) {
    if (h.value <= yMax * 4 || yMax === 0) yMax = Math.max(yMax, h.value);
    else offScale.push(`${h.label} (off scale)`);
    // On a log scale a limit below the data is still worth showing (how far above it we are).
    if (spec.log && h.value > 0 && h.value >= yMin / 1000) yMin = Math.min(yMin, h.value);
  }
  if (yMax <= 0) yMax = 1;
  let ticks: number[];
  let y: (v: number) => number;
  const plotH = H - M.t - M.b;
  const plotW = W - M.l - M.r;
  if (spec.log) {
    const lo = Math.floor(Math.log10(yMin));
    const hi = Math.ceil(Math.log10(yMax * 1.05));
    yMin = 10 ** lo;
    const top = 10 ** Math.max(hi, lo + 1);
    ticks = [];
    for (let e = lo; e <= Math.log10(top) + 1e-9; e++) ticks.push(10 ** e);
    const l0 = Math.log10(yMin);
    const l1 = Math.log10(top);
    y = (v) => M.t + plotH - ((Math.log10(Math.max(v, yMin)) - l0) / (l1 - l0)) * plotH;
  } else {
    const step = niceStep(yMax * 1.08, 5);
    const top = Math.ceil((yMax * 1.08) / step) * step;
    ticks = [];
    for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
    y = (v) => M.t + plotH - (v / top) * plotH;
  }
  const x = (tAbs: number) => M.l + (((tAbs - spec.x0) / 1000 - xMin) / (xMax - xMin)) * plotW;

  const parts: string[] = [];
  // Shaded periods and markers underneath.
  for (const b of spec.bands ?? []) {
    const x1 = Math.max(M.l, x(b.from));
    const x2 = Math.min(W - M.r, x(b.to));
    if (x2 <= x1) continue;
    // Near the right edge the label goes to the left of the band's end.
    const right = x1 > W - M.r - 80;
    const lx = right ? x2 - 3 : x1 + 4;
    parts.push(
      `<rect class="band" x="${x1.toFixed(1)}" y="${M.t}" width="${(x2 - x1).toFixed(1)}" height="${plotH}" fill="${
        b.color ?? "#f1f5f9"
      }"/><text class="band-label" x="${lx.toFixed(1)}" y="${M.t + 12}"${
        right ? ' style="text-anchor:end"' : ""
      }>${esc(b.label)}</text>`,
    );
  }
  for (const v of ticks) {
    const yy = y(v).toFixed(1);
    parts.push(`<line class="grid" x1="${M.l}" x2="${W - M.r}" y1="${yy}" y2="${yy}"/>`);
    parts.push(
      `<text class="ytick" x="${M.l - 6}" y="${(y(v) + 4).toFixed(1)}">${esc(fmtUnit(v, spec.unit))}</text>`,
    );
  }
  for (const t of timeTicks(xMin, xMax)) {
    const xx = (M.l + ((t - xMin) / (xMax - xMin)) * plotW).toFixed(1);
    parts.push(`<line class="xgrid" x1="${xx}" x2="${xx}" y1="${M.t}" y2="${M.t + plotH}"/>`);
    parts.push(`<text class="xtick" x="${xx}" y="${H - M.b + 16}">${fmtT(t)}</text>`);
  }
  parts.push(`<line class="axis" x1="${M.l}" x2="${W - M.r}" y1="${M.t + plotH}" y2="${M.t + plotH}"/>`);
  for (const v of spec.vlines ?? []) {
    const xx = x(v.t);
    if (xx < M.l || xx > W - M.r) continue;
    const right = xx > W - M.r - 70;
    parts.push(
      `<line class="vline" x1="${xx.toFixed(1)}" x2="${xx.toFixed(1)}" y1="${M.t}" y2="${M.t + plotH}"/>` +
        `<text class="vlabel" x="${(right ? xx - 3 : xx + 3).toFixed(1)}" y="${M.t + plotH - 6}"${
          right ? ' style="text-anchor:end"' : ""
        }>${esc(v.label)}</text>`,
    );
  }
  const labelled: number[] = [];
  for (const h of spec.hlines ?? []) {
    if (offScale.some((o) => o.startsWith(h.label))) continue;
    const yy = y(h.value).toFixed(1);
    // Two limits close together: the second label goes to the left end.
    const clash = labelled.some((l) => Math.abs(l - Number(yy)) < 13);
    labelled.push(Number(yy));
    const lx = clash ? M.l + 4 : W - M.r - 4;
    parts.push(
      `<line class="hline" x1="${M.l}" x2="${W - M.r}" y1="${yy}" y2="${yy}" stroke="${h.color ?? "#dc2626"}"/>` +
        `<text class="hlabel" x="${lx}" y="${(Number(yy) - 4).toFixed(1)}" fill="${h.color ?? "#dc2626"}"${
          clash ? ' style="text-anchor:start"' : ""
        }>${esc(h.label)}</text>`,
    );
  }
  // The data.
  series.forEach((s, i) => {
    const color = s.color ?? palette[i % palette.length]!;
    const pts = s.points.filter(([t]) => t >= xMinAbs - 1 && t <= xMaxAbs + 1);
    if (s.kind === "dots") {
      const dots = pts
        .map(([t, v]) => `<circle cx="${x(t).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.4"/>`)
        .join("");
      parts.push(
        `<g class="series dots" data-series="${esc(s.name)}" fill="${color}" fill-opacity="0.55">${dots}</g>`,
      );
      return;
    }
    let d = "";
    pts.forEach(([t, v], j) => {
      const X = x(t).toFixed(1);
      const Y = y(v).toFixed(1);
      if (j === 0) d += `M${X},${Y}`;
      else if (s.kind === "step") d += `H${X}V${Y}`;
      else d += `L${X},${Y}`;
    });
    if (pts.length === 1) d += `h2`;
    parts.push(
      `<path class="series line" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="${
        s.width ?? 1.8
      }"${s.dash ? ' stroke-dasharray="5 4"' : ""} stroke-linejoin="round" stroke-linecap="round"/>`,
    );
  });
  parts.push(
    `<line class="cursor" x1="0" x2="0" y1="${M.t}" y2="${M.t + plotH}" visibility="hidden"/>` +
      `<rect class="hover" x="${M.l}" y="${M.t}" width="${plotW}" height="${plotH}" fill="transparent"/>`,
  );
  const legend = series
    .map((s, i) => {
      const color = s.color ?? palette[i % palette.length]!;
      const swatch =
        s.kind === "dots"
          ? `<svg width="14" height="10"><circle cx="7" cy="5" r="3" fill="${color}"/></svg>`
          : `<svg width="18" height="10"><line x1="0" x2="18" y1="5" y2="5" stroke="${color}" stroke-width="2.5"${
              s.dash ? ' stroke-dasharray="4 3"' : ""
            }/></svg>`;
      return `<span class="key">${swatch}${esc(s.name)}</span>`;
    })
    .concat(offScale.map((o) => `<span class="key off">${esc(o)}</span>`))
    .join("");
  // For the hover read-out: per series, [seconds from x0, value] pairs.
  const data = {
    unit: spec.unit,
    x0: spec.x0,
    xMin,
    xMax,
    l: M.l,
    w: plotW,
    W,
    series: series.map((s, i) => ({
      name: s.name,
      color: s.color ?? palette[i % palette.length],
      pts: s.points.map(([t, v]) => [Math.round((t - spec.x0) / 100) / 10, Math.round(v * 1000) / 1000]),
    })),
  };
  return `<figure class="chart" id="${spec.id}">${header}
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}" preserveAspectRatio="xMidYMid meet">${parts.join("")}</svg>
<div class="legend">${legend}</div><div class="tip" hidden></div>
<script type="application/json" class="chart-data">${JSON.stringify(data).replace(/</g, "\\u003c")}</script>
</figure>`;
}

/** Horizontal bars (e.g. percentiles of a distribution), with an optional limit line. */
export function barChart(spec: {
  id: string;
  title: string;
  subtitle?: string;
  bars: { label: string; value: number | null; color?: string }[];
  unit: Unit;
  limit?: { value: number; label: string };
  /** Room for the labels on the left (names longer than "p99"). */
  labelWidth?: number;
}): string {
  const bars = spec.bars.filter(
    (b): b is { label: string; value: number; color?: string } => b.value !== null,
  );
  const header = `<figcaption><span class="title">${esc(spec.title)}</span>${
    spec.subtitle ? `<span class="sub">${esc(spec.subtitle)}</span>` : ""
  }</figcaption>`;
  if (bars.length === 0)
    return `<figure class="chart" id="${spec.id}">${header}<div class="empty">no samples</div></figure>`;
  const rowH = 30;
  const h = 12 + bars.length * rowH + 22;
  const left = spec.labelWidth ?? 70;
  const right = 90;
  let top = Math.max(...bars.map((b) => b.value), spec.limit?.value ?? 0) * 1.1;
  if (top <= 0) top = 1;
  const x = (v: number) => left + (v / top) * (W - left - right);
  const parts: string[] = [];
  bars.forEach((b, i) => {
    const yy = 12 + i * rowH;
    const over = spec.limit !== undefined && b.value > spec.limit.value;
    const color = b.color ?? (over ? "#dc2626" : "#2563eb");
    parts.push(
      `<text class="blabel" x="${left - 8}" y="${yy + 15}">${esc(b.label)}</text>` +
        `<rect class="bar" x="${left}" y="${yy + 2}" width="${Math.max(1, x(b.value) - left).toFixed(1)}" height="${
          rowH - 10
        }" rx="3" fill="${color}"/>` +
        `<text class="bvalue" x="${(x(b.value) + 6).toFixed(1)}" y="${yy + 15}">${esc(fmtUnit(b.value, spec.unit))}</text>`,
    );
  });
  if (spec.limit) {
    const xx = x(spec.limit.value).toFixed(1);
    parts.push(
      `<line class="hline" x1="${xx}" x2="${xx}" y1="6" y2="${h - 18}" stroke="#dc2626"/>` +
        `<text class="hlabel-b" x="${xx}" y="${h - 6}" fill="#dc2626">${esc(spec.limit.label)}</text>`,
    );
  }
  return `<figure class="chart" id="${spec.id}">${header}<svg viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(
    spec.title,
  )}">${parts.join("")}</svg></figure>`;
}
