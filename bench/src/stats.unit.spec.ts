import { describe, expect, it } from "vitest";
import {
  checkTarget,
  formatMargin,
  formatRate,
  formatRatio,
  median,
  perSecond,
  ratio,
  renderTable,
} from "./stats.ts";

describe("median", () => {
  it("takes the middle value of an odd count, whatever the order", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10_000, 5, 7])).toBe(7);
    expect(median([42])).toBe(42);
  });

  it("averages the two middle values of an even count", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("ignores values that were not measured and is NaN when nothing was", () => {
    expect(median([Number.NaN, 5, Number.POSITIVE_INFINITY, 1, 9])).toBe(5);
    expect(median([])).toBeNaN();
    expect(median([Number.NaN])).toBeNaN();
  });

  it("leaves its input untouched", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("ratio and targets", () => {
  it("divides, and is NaN rather than Infinity when it cannot", () => {
    expect(ratio(40_000, 50_000)).toBe(0.8);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });

  it("says whether a ratio reaches its target and by how much", () => {
    expect(checkTarget(0.8, 0.8)).toEqual({ value: 0.8, target: 0.8, met: true, margin: 0 });
    const missed = checkTarget(0.6, 0.8);
    expect(missed.met).toBe(false);
    expect(missed.margin).toBeCloseTo(-0.25);
    const met = checkTarget(3, 2);
    expect(met.met).toBe(true);
    expect(met.margin).toBeCloseTo(0.5);
    expect(checkTarget(Number.NaN, 2).met).toBe(false);
  });

  it("computes rates per second", () => {
    expect(perSecond(5000, 2000)).toBe(2500);
    expect(perSecond(10, 0)).toBeNaN();
  });
});

describe("formatting", () => {
  it("formats rates, ratios and margins, with a dash for unknown values", () => {
    expect(formatRate(54_321.6)).toBe("54,322");
    expect(formatRatio(0.8349)).toBe("0.83");
    expect(formatMargin(0.125)).toBe("+13%");
    expect(formatMargin(-0.25)).toBe("-25%");
    expect(formatRate(Number.NaN)).toBe("-");
    expect(formatRatio(Number.NaN)).toBe("-");
    expect(formatMargin(Number.NaN)).toBe("-");
  });

  it("renders aligned table columns", () => {
    const table = renderTable(
      ["shape", "n"],
      [
        ["a", "1"],
        ["bbb", "100"],
      ],
    );
    expect(table.split("\n")).toEqual(["shape    n", "-----  ---", "a        1", "bbb    100"]);
  });
});
