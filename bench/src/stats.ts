// Small numeric helpers for benchmark figures: medians of repeated runs, ratios against a
// target, and the formatting the tables use.

/** The median of the finite values (mean of the middle two for an even count); NaN when none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** numerator / denominator, or NaN when either is missing, not finite or the denominator is 0. */
export function ratio(numerator: number, denominator: number): number {
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) return Number.NaN;
  return numerator / denominator;
}

export interface TargetCheck {
  /** The measured ratio (NaN when it could not be measured). */
  value: number;
  /** The ratio it must reach. */
  target: number;
  met: boolean;
  /** value / target - 1: positive is the margin above the target, negative the shortfall. */
  margin: number;
}

/** Compares a ratio with the minimum it must reach. */
export function checkTarget(value: number, target: number): TargetCheck {
  const met = Number.isFinite(value) && value >= target;
  return { value, target, met, margin: ratio(value, target) - 1 };
}

/** Events per second from a count and a duration in milliseconds. */
export const perSecond = (events: number, milliseconds: number): number =>
  milliseconds > 0 ? (events * 1000) / milliseconds : Number.NaN;

/** "12,345" for a rate, "-" when unknown. */
export const formatRate = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-";

/** "0.87" for a ratio, "-" when unknown. */
export const formatRatio = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : "-");

/** "+12%" / "-7%" for a margin, "-" when unknown. */
export const formatMargin = (margin: number): string =>
  Number.isFinite(margin) ? `${margin >= 0 ? "+" : "-"}${Math.abs(Math.round(margin * 100))}%` : "-";

/** A plain-text table with right-aligned columns except the first ones named in `left`. */
export function renderTable(header: string[], rows: string[][], left = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
