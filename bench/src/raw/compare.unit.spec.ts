import { describe, expect, it } from "vitest";
import { rawRows, type RunRecord } from "../pipeline.bench.ts";
import { ledgerOf, type Counts } from "./figures.ts";
import type { RawResult, RawRun } from "./pipeline.ts";

const counts = (n: number): Counts => ({
  accepted: n,
  unanswered: 0,
  stored: n,
  storedDistinct: n,
  projected: n,
  applied: n,
});

const rawRun = (workload: RawRun["workload"], rate: number, cpuMsPerEvent: number, pipelineRate = rate) =>
  ({
    workload,
    rate,
    accepted: rate * 10,
    cpuMsPerEvent,
    pipelineRate,
    ledger: ledgerOf(counts(rate * 10)),
  }) as RawRun;

const eventscopeRun = (
  phase: RunRecord["phase"],
  workload: RunRecord["workload"],
  stackCpuMsPerEvent: number,
  pipelineRate = 0,
) =>
  ({
    phase,
    workload,
    stackCpuMsPerEvent,
    pipelineRate,
    // services + Kafka + PostgreSQL 75 of the 100 % the stack's parts used.
    cpu: { producer: 25, "event-store": 20, kafka: 20, postgres: 10, jaeger: 15, prometheus: 10 },
  }) as unknown as RunRecord;

const raw = (runs: RawRun[]): RawResult => ({
  topology: {} as RawResult["topology"],
  idleCpu: {},
  warmUpAccepted: 200,
  runs,
  cleanedUp: "",
});

describe("Eventscope against the raw pipeline of the same run", () => {
  const rawRuns = [
    rawRun("fixed", 300, 1.0),
    rawRun("fixed", 300, 1.4),
    rawRun("fixed", 300, 1.2),
    rawRun("latency", 1000, 0.4),
    rawRun("saturating", 3000, 0.3, 2000),
  ];
  const eventscope = [
    eventscopeRun("telemetry off", "fixed", 9), // telemetry off: not Eventscope as shipped
    eventscopeRun("telemetry on", "fixed", 3),
    eventscopeRun("telemetry on", "fixed", 1.6),
    eventscopeRun("latency", undefined, 0.5),
    eventscopeRun("telemetry on", "saturating", 0.8, 1200),
    eventscopeRun("telemetry off", "saturating", 0.7, 1900),
  ];
  const { rows, figures } = rawRows(eventscope, raw(rawRuns));
  const cpu = figures.cpu as Record<
    string,
    { ratio: number; samePartsRatio: number; rawCpuMsPerEvent: number }
  >;

  it("divides the medians: Eventscope's telemetry-on runs at the fixed rate over the raw runs at it", () => {
    expect(cpu.fixed!.rawCpuMsPerEvent).toBe(1.2);
    expect(cpu.fixed!.ratio).toBeCloseTo(2.3 / 1.2, 10);
    expect(cpu.fixed!.samePartsRatio).toBeCloseTo((2.3 * 0.75) / 1.2, 10);
    expect(cpu.latency!.ratio).toBeCloseTo(1.25, 10);
  });

  it("judges the CPU ratio against 1.5x and the saturation against 0.7x of the raw pipeline's", () => {
    const verdicts = rows.filter((r) => r.met !== null).map((r) => [r.figure.split(" (")[0]!.trim(), r.met]);
    expect(verdicts).toEqual([
      ["Eventscope / raw CPU per event at 300/s", false],
      ["Eventscope / raw CPU per event at 1,000/s", true],
      ["Eventscope / raw saturation", false],
      ["Raw pipeline ledger", true],
    ]);
    expect((figures.saturation as { ratio: number }).ratio).toBe(0.6);
  });

  it("gives the raw figures alone when Eventscope's parts did not run", () => {
    const alone = rawRows([], raw(rawRuns));
    expect(alone.rows.map((r) => r.met)).toEqual([null, null, null, true]);
    expect(alone.rows[2]!.measured).toBe("2,000/s");
  });

  it("fails the ledger when a run lost or duplicated an event", () => {
    const bad = { ...rawRun("latency", 1000, 0.4), ledger: ledgerOf({ ...counts(10_000), stored: 10_001 }) };
    const r = rawRows([], raw([bad]));
    expect(r.rows.at(-1)).toMatchObject({ verdict: "MISSED", met: false });
    expect(r.rows.at(-1)!.measured).toContain("0 lost, 1 duplicated");
  });
});
