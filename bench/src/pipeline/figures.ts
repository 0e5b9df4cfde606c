// Pure helpers of the pipeline benchmark: CPU per part over a time window (from a load-test
// report's samples), rates, and the verdict of a figure against a DESIGN.md target.

/** [epoch ms, value], as the load-test report's series hold them. */
export type Point = [number, number];
export interface Series {
  name: string;
  points: Point[];
}

/** The mean of the points whose time lies in [from, to]; NaN when none does. */
export function meanOver(points: readonly Point[], from: number, to: number): number {
  const inside = points.filter(([t]) => t >= from && t <= to).map(([, v]) => v);
  return inside.length === 0 ? Number.NaN : inside.reduce((a, b) => a + b, 0) / inside.length;
}

/** The median of the points whose time lies in [from, to]; NaN when none does. */
export function medianOver(points: readonly Point[], from: number, to: number): number {
  const inside = points
    .filter(([t]) => t >= from && t <= to)
    .map(([, v]) => v)
    .sort((a, b) => a - b);
  if (inside.length === 0) return Number.NaN;
  const mid = Math.floor(inside.length / 2);
  return inside.length % 2 === 1 ? inside[mid]! : (inside[mid - 1]! + inside[mid]!) / 2;
}

/**
 * The median over [from, to] of each named series (e.g. the platform's per-stage p99, computed
 * by Prometheus over sliding windows), rounded; series with no point inside are left out.
 */
export function mediansByName(series: readonly Series[], from: number, to: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of series) {
    const v = medianOver(s.points, from, to);
    if (Number.isFinite(v)) out[s.name] = Math.round(v);
  }
  return out;
}

/**
 * Mean CPU of each part (percent of one core) over [from, to], from the load-test runner's
 * 1 s samples: the services, kafka, postgres (with its backends), prometheus, jaeger, smtp, the
 * load engine (k6, or vegeta's attacks), the runner (this process), "machine" (all cores: 200 = both busy) and "other" (the machine
 * minus every part listed: processes outside the stack).
 */
export function cpuByPart(series: readonly Series[], from: number, to: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of series) {
    const v = meanOver(s.points, from, to);
    if (Number.isFinite(v)) out[s.name] = Math.round(v);
  }
  return out;
}

/** The parts of the stack, busiest first (machine, other, the load engine and the runner left out). */
export function busiestParts(cpu: Record<string, number>, n = 4): [string, number][] {
  return Object.entries(cpu)
    .filter(([k]) => !["machine", "other", "k6", "vegeta", "runner"].includes(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
}

/**
 * Events through the whole pipeline per second: the events accepted during the load over the
 * time from the first request until every consumer group's lag was back to zero.
 */
export function pipelineRate(accepted: number, loadStart: number, drained: number | null): number {
  if (drained === null || !(drained > loadStart)) return Number.NaN;
  return accepted / ((drained - loadStart) / 1000);
}

/**
 * The order of the telemetry states (true = on) for `runs` runs of each: pairs in alternating
 * order (on off, off on, ...: ABBA, so a drift of the shared machine weighs on both states
 * alike), always ending with telemetry on, the state the stack is left in.
 */
export function telemetryOrder(runs: number): boolean[] {
  const order: boolean[] = [];
  // With an odd number of pairs, start with off so that the last pair ends on.
  let first = runs % 2 === 0;
  for (let i = 0; i < runs; i++) {
    order.push(first, !first);
    first = !first;
  }
  return order;
}

export type Direction = "max" | "min";

export interface Verdict {
  /** The measured value (NaN when it could not be measured). */
  value: number;
  /** The limit: a maximum (value <= limit) or a minimum (value >= limit). */
  limit: number;
  direction: Direction;
  met: boolean;
  /** value - limit: beyond the limit when missed (positive for a max, negative for a min). */
  difference: number;
}

export function verdict(value: number, limit: number, direction: Direction): Verdict {
  const measured = Number.isFinite(value);
  const met = measured && (direction === "max" ? value <= limit : value >= limit);
  return { value, limit, direction, met, difference: measured ? value - limit : Number.NaN };
}

/** A number with a unit as the tables print it: "12.3 ms", "1,047/s", "0.12 %". */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "-";
  const abs = Math.abs(value);
  const digits = unit === "/s" || unit === "MiB" ? 0 : abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const text = value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit === "/s" ? `${text}/s` : unit === "x" ? `${text}x` : unit === "" ? text : `${text} ${unit}`;
}

/**
 * Eventscope's figure over the raw pipeline's measured in the same run (issue #11), judged as a
 * ratio: a CPU per event at most `limit` times the raw one's, a saturation at least `limit` of it.
 */
export function againstRaw(eventscope: number, raw: number, limit: number, direction: Direction): Verdict {
  const ratio =
    Number.isFinite(eventscope) && Number.isFinite(raw) && raw > 0 ? eventscope / raw : Number.NaN;
  return verdict(ratio, limit, direction);
}

/**
 * The part of a CPU per event that `some` of the parts spent: the whole figure (over `all`)
 * times their share of the CPU, e.g. Eventscope's services, Kafka and PostgreSQL without
 * Prometheus, Jaeger and the SMTP sink, the parts the raw pipeline has too.
 */
export function cpuOfParts(
  cpuMsPerEvent: number,
  cpu: Record<string, number>,
  all: readonly string[],
  some: readonly string[],
): number {
  const total = all.reduce((a, p) => a + (cpu[p] ?? 0), 0);
  const part = some.reduce((a, p) => a + (cpu[p] ?? 0), 0);
  return total > 0 ? (cpuMsPerEvent * part) / total : Number.NaN;
}

/** "met (3.1 ms to spare)", "MISSED by 12.4 ms (1.8x the limit)", "not measured"; % in points. */
export function describeVerdict(v: Verdict, unit: string): string {
  if (!Number.isFinite(v.value)) return "not measured";
  const diff =
    unit === "%"
      ? `${formatValue(Math.abs(v.difference), "")} points`
      : formatValue(Math.abs(v.difference), unit);
  if (v.met) return v.difference === 0 ? "met (exactly)" : `met (${diff} to spare)`;
  const times =
    v.limit > 0 && v.value > 0
      ? v.direction === "max"
        ? ` (${(v.value / v.limit).toFixed(1)}x the limit)`
        : ` (${Math.round((v.value / v.limit) * 100)}% of it)`
      : "";
  return `MISSED by ${diff}${times}`;
}
