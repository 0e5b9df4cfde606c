import { describe, expect, it } from "vitest";
import { defaultSlo, sloFor } from "../scenarios/lib/slo.ts";
import { barChart, timeChart } from "./charts.ts";
import type { Report, ThresholdResult } from "./model.ts";
import { fmtMs, percentile } from "./stats.ts";
import { describeLoad, overBy } from "./summary.ts";

describe("SLOs", () => {
  it("defaults to DESIGN.md's targets and takes overrides from the environment", () => {
    expect(sloFor("load")).toEqual(defaultSlo);
    expect(defaultSlo.SLO_HTTP_P99_MS).toBe(15);
    expect(defaultSlo.SLO_E2E_P99_MS).toBe(100);
    expect(defaultSlo.SLO_DRAIN_SECONDS).toBe(2);
    expect(sloFor("load", { SLO_HTTP_P99_MS: "20", SLO_E2E_P99_MS: "" }).SLO_HTTP_P99_MS).toBe(20);
    expect(sloFor("load", { SLO_E2E_P99_MS: "nope" }).SLO_E2E_P99_MS).toBe(100);
  });
  it("gives the spike room for its burst but not for errors", () => {
    const spike = sloFor("spike");
    expect(spike.SLO_HTTP_P99_MS).toBeGreaterThan(defaultSlo.SLO_HTTP_P99_MS);
    expect(spike.SLO_ERROR_RATE).toBe(defaultSlo.SLO_ERROR_RATE);
  });
});

describe("statistics and formatting", () => {
  it("percentile by nearest rank", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([], 99)).toBeNull();
    expect(percentile([7], 99)).toBe(7);
  });
  it("milliseconds for people", () => {
    expect(fmtMs(0.84)).toBe("0.84 ms");
    expect(fmtMs(12.34)).toBe("12.3 ms");
    expect(fmtMs(1240)).toBe("1.24 s");
    expect(fmtMs(null)).toBe("-");
  });
  it("says by how much a threshold was missed", () => {
    const t = (over: Partial<ThresholdResult>): ThresholdResult => ({
      name: "x",
      rule: "",
      limit: 15,
      observed: 42,
      unit: "ms",
      ok: false,
      source: "k6",
      ...over,
    });
    expect(overBy(t({}))).toBe("+27.0 ms, 2.8x");
    expect(overBy(t({ ok: true }))).toBe("");
    expect(overBy(t({ unit: "s", limit: 2, observed: 2.5 }))).toBe("+0.50 s, 1.3x");
    expect(overBy(t({ unit: "/s", limit: 950, observed: 576 }))).toBe("-374/s, 61% of it");
  });
});

describe("a run's load in words", () => {
  const report = (scenario: string, params: Record<string, string | number>) =>
    ({ scenario, params, knee: null }) as unknown as Report;
  it("names the rate, the duration and a warm-up before them", () => {
    expect(describeLoad(report("load", { rate: 1000, duration: "60s" }))).toBe("load, 1000/s for 60s");
    expect(describeLoad(report("load", { rate: 200, duration: "20s", warmup: "10s" }))).toBe(
      "load, 200/s for 20s after a 10s warm-up",
    );
  });
});

describe("SVG charts", () => {
  const x0 = 1_700_000_000_000;
  const pts = (n: number, f: (i: number) => number): [number, number][] =>
    Array.from({ length: n }, (_, i) => [x0 + i * 1000, f(i)]);

  it("draws one path per series with every point, and the threshold line", () => {
    const svg = timeChart({
      id: "c",
      title: "latency",
      x0,
      unit: "ms",
      series: [
        { name: "p50", points: pts(10, (i) => 2 + i) },
        { name: "p99", points: pts(10, (i) => 10 + i * 3) },
      ],
      hlines: [{ value: 15, label: "SLO" }],
    });
    const paths = [...svg.matchAll(/<path class="series line"[^>]* d="([^"]+)"/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(2);
    for (const d of paths) {
      expect(d.match(/[ML]/g)).toHaveLength(10);
      expect(d).not.toMatch(/NaN|Infinity/);
    }
    expect(svg).toContain('class="hline"');
    expect(svg).toContain("chart-data");
  });
  it("says so when there is nothing to draw", () => {
    const svg = timeChart({
      id: "c",
      title: "t",
      x0,
      unit: "ms",
      series: [{ name: "a", points: [] }],
      empty: "none here",
    });
    expect(svg).toContain("none here");
    expect(svg).not.toContain("<path");
  });
  it("uses a log scale without NaN when asked, even with zeros", () => {
    const svg = timeChart({
      id: "c",
      title: "t",
      x0,
      unit: "ms",
      log: true,
      series: [{ name: "a", points: pts(5, (i) => (i === 0 ? 0 : 10 ** i)) }],
    });
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
  it("notes a threshold far above the data instead of squashing it", () => {
    const svg = timeChart({
      id: "c",
      title: "t",
      x0,
      unit: "msgs",
      series: [{ name: "a", points: pts(5, () => 10) }],
      hlines: [{ value: 5000, label: "max 5000" }],
    });
    expect(svg).toContain("max 5000 (off scale)");
  });
  it("bars for a distribution, red past the limit", () => {
    const svg = barChart({
      id: "b",
      title: "e2e",
      unit: "ms",
      bars: [
        { label: "p50", value: 40 },
        { label: "p99", value: 140 },
      ],
      limit: { value: 100, label: "SLO" },
    });
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(2);
    expect(svg).toContain('fill="#dc2626"');
  });
});
