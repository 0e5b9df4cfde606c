import { describe, expect, it } from "vitest";
import {
  againstRaw,
  busiestParts,
  cpuOfParts,
  cpuByPart,
  describeVerdict,
  formatValue,
  meanOver,
  medianOver,
  mediansByName,
  pipelineRate,
  telemetryOrder,
  verdict,
  type Point,
} from "./figures.ts";

const pts: Point[] = [
  [1000, 10],
  [2000, 30],
  [3000, 20],
  [4000, 100],
];

describe("window statistics", () => {
  it("averages and takes the median of the points inside [from, to] only", () => {
    expect(meanOver(pts, 1000, 3000)).toBe(20);
    expect(medianOver(pts, 1000, 3000)).toBe(20);
    expect(medianOver(pts, 1000, 4000)).toBe(25);
    expect(meanOver(pts, 5000, 6000)).toBeNaN();
  });

  it("gives the CPU of each part over a window, leaving out series with no point in it", () => {
    const cpu = cpuByPart(
      [
        { name: "producer", points: pts },
        { name: "k6", points: [[9000, 50]] },
      ],
      1500,
      3500,
    );
    expect(cpu).toEqual({ producer: 25 });
    expect(mediansByName([{ name: "stored p99", points: pts }], 0, 5000)).toEqual({ "stored p99": 25 });
  });

  it("ranks the parts of the stack, not the machine, other, k6 or the runner", () => {
    expect(
      busiestParts({ machine: 199, other: 60, k6: 40, runner: 5, producer: 35, postgres: 30, kafka: 12 }, 2),
    ).toEqual([
      ["producer", 35],
      ["postgres", 30],
    ]);
  });
});

describe("pipelineRate", () => {
  it("counts the drain: accepted over first request -> lag zero", () => {
    expect(pipelineRate(10_000, 0, 10_000)).toBe(1000);
    expect(pipelineRate(10_000, 0, 12_500)).toBe(800);
  });

  it("is NaN when the lag never drained", () => {
    expect(pipelineRate(10_000, 0, null)).toBeNaN();
  });
});

describe("telemetryOrder", () => {
  it("alternates the pairs and always ends with telemetry on", () => {
    expect(telemetryOrder(1)).toEqual([false, true]);
    expect(telemetryOrder(2)).toEqual([true, false, false, true]);
    expect(telemetryOrder(3)).toEqual([false, true, true, false, false, true]);
    for (const n of [1, 2, 3, 4, 5]) {
      const order = telemetryOrder(n);
      expect(order.at(-1)).toBe(true);
      expect(order.filter(Boolean)).toHaveLength(n);
    }
  });
});

describe("verdicts", () => {
  it("says by how much a maximum is missed or kept", () => {
    expect(describeVerdict(verdict(45, 15, "max"), "ms")).toBe("MISSED by 30 ms (3.0x the limit)");
    expect(describeVerdict(verdict(12, 15, "max"), "ms")).toBe("met (3 ms to spare)");
    expect(describeVerdict(verdict(28.4, 10, "max"), "%")).toBe("MISSED by 18.4 points (2.8x the limit)");
  });

  it("says by how much a minimum is missed", () => {
    expect(describeVerdict(verdict(900, 3000, "min"), "/s")).toBe("MISSED by 2,100/s (30% of it)");
    expect(describeVerdict(verdict(3100, 3000, "min"), "/s")).toBe("met (100/s to spare)");
  });

  it("does not judge what was not measured", () => {
    const v = verdict(Number.NaN, 15, "max");
    expect(v.met).toBe(false);
    expect(describeVerdict(v, "ms")).toBe("not measured");
    expect(formatValue(Number.NaN, "ms")).toBe("-");
  });
});

describe("against the raw pipeline", () => {
  it("judges Eventscope's CPU per event as a multiple of the raw pipeline's", () => {
    const v = againstRaw(3, 1.5, 1.5, "max");
    expect(v.value).toBe(2);
    expect(v.met).toBe(false);
    expect(describeVerdict(v, "x")).toBe("MISSED by 0.5x (1.3x the limit)");
    expect(againstRaw(1.2, 1, 1.5, "max").met).toBe(true);
  });

  it("judges Eventscope's saturation as a share of the raw pipeline's", () => {
    const v = againstRaw(1400, 2000, 0.7, "min");
    expect(v.value).toBe(0.7);
    expect(v.met).toBe(true);
    expect(formatValue(v.value, "x")).toBe("0.7x");
    expect(againstRaw(700, 2000, 0.7, "min").met).toBe(false);
  });

  it("keeps of a CPU per event the share the parts both pipelines have spent", () => {
    const cpu = { producer: 30, kafka: 20, postgres: 10, jaeger: 30, prometheus: 10, vegeta: 50 };
    const all = ["producer", "kafka", "postgres", "jaeger", "prometheus"];
    expect(cpuOfParts(5, cpu, all, ["producer", "kafka", "postgres"])).toBe(3);
    expect(cpuOfParts(5, {}, all, ["kafka"])).toBeNaN();
  });

  it("does not judge a ratio with a side missing", () => {
    expect(againstRaw(Number.NaN, 2, 1.5, "max").value).toBeNaN();
    expect(againstRaw(3, 0, 1.5, "max").met).toBe(false);
    expect(describeVerdict(againstRaw(3, Number.NaN, 1.5, "max"), "x")).toBe("not measured");
  });
});
