import { describe, expect, it } from "vitest";
import { defaultSlo } from "../../scenarios/lib/slo.ts";
import type { ProbeSample } from "../engine.ts";
import type { GroupSample, LagSample } from "../lag.ts";
import type { LedgerResult } from "../ledger.ts";
import type { WindowStats } from "../native/recorder.ts";
import { runLag } from "./collect.ts";
import { engineThresholds, judgeRun, lagSourceOf, runNotes, type RunVerdictInput } from "./judge.ts";
import { judgeRamp } from "./ramp.ts";
import { e2eFigures, generatorCpu, groupLag, httpFigures, slowestProbes } from "./report.ts";
import { flowRates, ingestedBetween, lagSeries } from "./series.ts";
import { runPrefix } from "../ledger.ts";
import { warmupRunId } from "./drive.ts";
import { runParams, scenarioEnv, scenarioKnobs, seconds, warmupOf, type RunSetup } from "./setup.ts";

const group = (name: string, x: Partial<GroupSample> = {}): GroupSample => ({
  group: name,
  topic: "events.committed",
  committed: 0,
  high: 0,
  lag: 0,
  lagSeconds: null,
  verdict: null,
  ...x,
});
const sample = (
  t: number,
  groups: GroupSample[],
  source: LagSample["source"] = "kafka-admin",
): LagSample => ({
  t,
  groups,
  source,
});
const probe = (eventId: string, e2eMs: number, acceptedAt = 0): ProbeSample => ({
  eventId,
  traceId: null,
  acceptedAt,
  visibleAt: acceptedAt + e2eMs,
  e2eMs,
  httpMs: 1,
  seen: true,
  polls: 1,
});
const ledger = (x: Partial<LedgerResult> = {}): LedgerResult => ({
  runId: "r",
  accepted: 10,
  unanswered: 0,
  stored: 10,
  rejected: 0,
  rejectedByCode: {},
  lost: 0,
  duplicated: 0,
  notProjected: 0,
  projectedTwice: 0,
  projected: 10,
  byAggregateType: {},
  processManager: { stored: 0, rejected: 0, byEventType: {} },
  orders: null,
  ok: true,
  checkedAt: "",
  ...x,
});
const verdictInput = (x: Partial<RunVerdictInput> = {}): RunVerdictInput => ({
  scenario: "smoke",
  engine: "native",
  rate: 10,
  slo: defaultSlo,
  metrics: {},
  maxLag: 0,
  maxLagSeconds: 0,
  drainSeconds: 0.5,
  ledger: ledger(),
  accepted: 100,
  loadStart: 0,
  loadEnd: 10_000,
  exitCode: 0,
  stoppedEarly: null,
  ...x,
});
const failing = (input: RunVerdictInput) =>
  judgeRun(input)
    .filter((t) => !t.ok)
    .map((t) => t.name);

describe("the run's settings", () => {
  it("reads durations in ms, s, m and h, and a bare number as seconds", () => {
    expect(seconds("1m30s")).toBe(90);
    expect(seconds("500ms")).toBe(0.5);
    expect(seconds("2h")).toBe(7200);
    expect(seconds("12")).toBe(12);
  });
  it("takes a scenario's knobs from the environment unless the options set them", () => {
    const knobs = scenarioKnobs(
      { RAMP_START: "100" },
      { RAMP_START: "5", SLO_HTTP_P99_MS: "20", HOME: "/root" },
    );
    expect(knobs).toEqual({ RAMP_START: "100", SLO_HTTP_P99_MS: "20" });
  });
  it("sizes the report's windows by the scenario: a ramp's step, a spike's 2 s, else a 40th of the run", () => {
    expect(scenarioEnv("load", 200, "4m", {}).windowSeconds).toBe(6);
    expect(scenarioEnv("load", 200, "10s", {}).windowSeconds).toBe(2);
    expect(scenarioEnv("ramp", 0, "", { STEP_DURATION: "15s" }).windowSeconds).toBe(15);
    const spike = scenarioEnv("spike", 2000, "", {});
    expect(spike.windowSeconds).toBe(2);
    expect(spike.env).toMatchObject({ SCENARIO: "spike", SPIKE_RATE: "2000", WINDOW_SECONDS: "2" });
  });
  it("reports a ramp's parameters without the rate and duration it does not use", () => {
    const base = {
      rate: 0,
      duration: "",
      windowSeconds: 10,
      k6Env: { SCENARIO: "ramp", RATE: "0", RAMP_MAX: "3000" },
    };
    expect(runParams({ ...base, scenario: "ramp" } as unknown as RunSetup)).toEqual({
      windowSeconds: 10,
      RAMP_MAX: "3000",
    });
    expect(runParams({ ...base, scenario: "load", rate: 5, duration: "1m" } as unknown as RunSetup)).toEqual({
      rate: 5,
      duration: "1m",
      windowSeconds: 10,
      RAMP_MAX: "3000",
    });
    // A warm-up is a parameter of the run the report shows, after its rate and duration.
    expect(
      runParams({ ...base, scenario: "load", rate: 5, duration: "1m", warmup: "10s" } as unknown as RunSetup),
    ).toEqual({ rate: 5, duration: "1m", warmup: "10s", windowSeconds: 10, RAMP_MAX: "3000" });
  });
});

describe("the warm-up before a run", () => {
  it("takes a duration up to 10 minutes; nothing, blank or zero is none", () => {
    expect(warmupOf("load", "10s")).toBe("10s");
    expect(warmupOf("flows", " 1m ")).toBe("1m");
    expect(warmupOf("checkout", "500ms")).toBe("500ms");
    expect(warmupOf("load", "10m")).toBe("10m");
    expect(warmupOf("load", "15")).toBe("15s");
    for (const none of [undefined, "", "  ", "0s", "0", "0ms"]) expect(warmupOf("load", none)).toBeNull();
  });
  it("refuses what is no duration, one past 10 minutes, and a ramp or spike", () => {
    for (const bad of ["ten", "-5s", "5x", "10s; rm", "1h", "601s", "11m", "1e3s"])
      expect(() => warmupOf("load", bad), bad).toThrow(/expected a duration of at most 10m/);
    expect(() => warmupOf("ramp", "10s")).toThrow(/ramp has no one rate/);
    expect(() => warmupOf("spike", "5s")).toThrow(/spike has no one rate/);
    // None asked: a ramp runs as always.
    expect(warmupOf("ramp", "0s")).toBeNull();
  });
  it("sends its events under a run id of its own, outside the run's ledger prefix", () => {
    const runId = "20261204-215245-load-a98e";
    expect(runPrefix(warmupRunId(runId)).startsWith(runPrefix(runId))).toBe(false);
    expect(warmupRunId(runId)).toContain(runId);
  });
});

describe("the run's verdict", () => {
  it("passes a run whose lag, drain, ledger and offered rate are within the SLOs", () => {
    expect(failing(verdictInput({ scenario: "load", rate: 10 }))).toEqual([]);
  });
  it("fails a drain that never happened or took too long, and lag beyond the SLO", () => {
    expect(failing(verdictInput({ drainSeconds: null }))).toEqual(["Drain time"]);
    expect(failing(verdictInput({ drainSeconds: 2.5, maxLag: 5001, maxLagSeconds: 1.5 }))).toEqual([
      "Max consumer lag",
      "Max consumer lag (age)",
      "Drain time",
    ]);
  });
  it("does not judge a ramp's lag for the whole run: its steps are judged one by one", () => {
    const names = judgeRun(verdictInput({ scenario: "ramp", maxLag: 1e6 })).map((t) => t.name);
    expect(names).not.toContain("Max consumer lag");
    expect(names).toContain("Drain time");
  });
  it("fails a run whose ledger could not be checked, or lost, duplicated or left events unprojected", () => {
    expect(failing(verdictInput({ ledger: null }))).toEqual(["Ledger"]);
    expect(failing(verdictInput({ ledger: ledger({ lost: 1, duplicated: 2, notProjected: 3 }) }))).toEqual([
      "Ledger: lost",
      "Ledger: duplicated",
      "Ledger: not projected",
    ]);
  });
  it("fails a checkout whose orders are not final, hold stock, or were never made", () => {
    const orders = { orders: 0, confirmed: 0, cancelled: 0, notFinal: 1, stockHeld: 1, byOutcome: {} };
    const o = { ...orders, timeToFinalMs: { p50: null, p95: null, max: null }, examples: [] };
    expect(failing(verdictInput({ ledger: ledger({ orders: o }) }))).toEqual([
      "Orders: not final",
      "Orders: stock held after cancel",
      "Orders",
    ]);
  });
  it("fails a constant-rate run that could not offer 95% of its rate, and a run with nothing accepted", () => {
    const short = judgeRun(verdictInput({ scenario: "soak", rate: 100, accepted: 900, loadEnd: 10_000 }));
    expect(short.find((t) => t.name === "Offered rate")).toMatchObject({
      ok: false,
      observed: 90,
      limit: 95,
    });
    expect(failing(verdictInput({ accepted: 0 }))).toEqual(["Accepted events"]);
  });
  it("fails an engine that crashed, but not one that crossed its thresholds or a ramp stopped early", () => {
    expect(failing(verdictInput({ exitCode: 1 }))).toEqual(["native exit code"]);
    expect(failing(verdictInput({ exitCode: 99 }))).toEqual([]);
    expect(failing(verdictInput({ exitCode: 1, stoppedEarly: "stopped at t+40s" }))).toEqual([]);
  });
  it("reads the engine's thresholds with their observed values, skipping the rules that always hold", () => {
    const got = engineThresholds(
      {
        "http_req_duration{kind:write}": {
          values: { "p(99)": 12 },
          thresholds: { "p(99)<15": { ok: true }, "p(99)>=0": { ok: true } },
        },
        flow_failures: { values: {}, thresholds: { "count<1": { ok: true } } },
      },
      "k6",
    );
    expect(got).toEqual([
      {
        name: "HTTP latency (writes) p99",
        rule: "http_req_duration{kind:write} p(99)<15",
        limit: 15,
        observed: 12,
        unit: "ms",
        ok: true,
        source: "k6",
      },
      {
        name: "Flow failures",
        rule: "flow_failures count<1",
        limit: 1,
        observed: 0,
        unit: "events",
        ok: true,
        source: "k6",
      },
    ]);
  });
  it("notes where lag came from, a ledger that could not be read, and a knee below the first step", () => {
    expect(lagSourceOf([sample(0, []), sample(1, [], "lag-endpoint")])).toBe("lag-endpoint");
    expect(lagSourceOf([sample(0, [])])).toBe("kafka-admin");
    const knee = {
      rate: 0,
      sustainedRate: 0,
      peakRate: 0,
      steps: [{ rate: 250 }],
      stoppedEarly: null,
      slo: defaultSlo,
    };
    const notes = runNotes({
      lagSource: "kafka-admin",
      ledgerError: "connection refused",
      stoppedEarly: null,
      knee: knee as never,
      probe: { mode: "wait", waitMs: 2000, pollMs: 5 },
    });
    expect(notes).toHaveLength(5);
    expect(notes[3]).toBe("The ledger could not be checked: connection refused");
    expect(notes[4]).toContain("below the first step (250/s)");
  });
});

describe("the run's figures", () => {
  const samples = [
    sample(0, [
      group("event-store", { high: 0, committed: 0, lag: 5 }),
      group("projection", { lag: 1, lagSeconds: 0.2 }),
    ]),
    sample(1000, [
      group("event-store", { high: 100, committed: 90, lag: 10, verdict: "ok" }),
      group("projection", { committed: 80, lag: 20, lagSeconds: 0.4 }),
    ]),
    sample(1100, [
      group("event-store", { high: 200, committed: 200 }),
      group("projection", { committed: 200 }),
    ]),
  ];
  it("counts the messages appended to events.ingest between two instants from the last samples at or before them", () => {
    expect(ingestedBetween(samples, 0, 1100)).toBe(200);
    expect(ingestedBetween(samples, 500, 1050)).toBe(100);
    expect(ingestedBetween(samples, 1000, Infinity)).toBe(100);
    // Before the first sample: counted from it.
    expect(ingestedBetween(samples, -500, 1000)).toBe(100);
    expect(ingestedBetween([], 0, 1000)).toBeNull();
    expect(ingestedBetween(samples, 0, -1)).toBeNull();
  });
  it("takes the run's highest lag from the samples after the load started", () => {
    expect(runLag(samples, 500)).toEqual({ maxLag: 20, maxLagSeconds: 0.4 });
    expect(runLag(samples, 2000)).toEqual({ maxLag: 0, maxLagSeconds: null });
  });
  it("gathers lag per group and the rates through each hop, skipping intervals too short for a rate", () => {
    const groups = lagSeries(samples);
    expect(groups.get("projection")?.msgs).toEqual([
      [0, 1],
      [1000, 20],
      [1100, 0],
    ]);
    expect(groupLag(groups, 500)).toEqual([
      { group: "event-store", topic: "events.committed", maxLag: 10, maxLagSeconds: null, verdicts: ["ok"] },
      { group: "projection", topic: "events.committed", maxLag: 20, maxLagSeconds: 0.4, verdicts: [] },
    ]);
    expect(flowRates(samples)).toEqual([
      { name: "produced to events.ingest", points: [[500, 100]] },
      { name: "consumed by event-store", points: [[500, 90]] },
      { name: "consumed by projection", points: [[500, 80]] },
    ]);
  });
  it("counts the generator's CPU exactly when the engine knows it, else from the samples over the load", () => {
    expect(generatorCpu({ engine: 2, runner: 1 }, [], 0, 0)).toEqual({ engine: 2, runner: 1, total: 3 });
    const cpu = [
      {
        name: "k6",
        points: [
          [0, 100],
          [1000, 50],
          [2000, 100],
          [4000, 100],
        ] as [number, number][],
      },
      { name: "runner", points: [[1000, 10]] as [number, number][] },
    ];
    expect(generatorCpu(null, cpu, 0, 2000)).toEqual({ engine: 1.5, runner: 0.1, total: 1.6 });
  });
  it("reads the writes' figures from the summary, counting requests as accepted + unanswered when absent", () => {
    const metrics = {
      "http_req_duration{kind:write}": { values: { med: 3, "p(99)": 9 } },
      dropped_iterations: { values: { count: 4 } },
    };
    const http = httpFigures(metrics, 90, 10, 10);
    expect(http).toMatchObject({
      requests: 100,
      accepted: 90,
      dropped: 4,
      rate: 9,
      p50: 3,
      p99: 9,
      p95: null,
    });
    expect(httpFigures({ "http_reqs{kind:write}": { values: { count: 120 } } }, 90, 10, 10).requests).toBe(
      120,
    );
  });
  it("keeps the twelve slowest probes, slowest first, and their percentiles", () => {
    const probes = Array.from({ length: 20 }, (_, i) => probe(`e${i}`, i + 1, i));
    const slowest = slowestProbes(probes);
    expect(slowest).toHaveLength(12);
    expect(slowest[0]).toEqual({ eventId: "e19", traceId: null, e2eMs: 20, at: 19, httpMs: 1 });
    expect(slowest.at(-1)?.eventId).toBe("e8");
    expect(e2eFigures(probes, {})).toMatchObject({ samples: 20, timeouts: 0, p50: 10, max: 20 });
  });
});

describe("a ramp's knee", () => {
  const stats = (count: number, p99: number, errors = 0): WindowStats => ({
    count,
    errors,
    p50: p99 / 2,
    p95: p99,
    p99,
    max: p99,
  });
  it("is the last step within every SLO before the first that was not; sustained ignores latency", async () => {
    // Three 10 s steps at 100, 200, 300/s; the third is too slow for the SLO but keeps its rate.
    const windows = new Map([
      [0, stats(1000, 5)],
      [1, stats(2000, 8)],
      [2, stats(3000, 40)],
    ]);
    const knee = await judgeRamp(
      null,
      windows,
      "r",
      { rates: [100, 200, 300], stepSeconds: 10 },
      0,
      30_000,
      [],
      [],
      defaultSlo,
      null,
    );
    expect(knee.steps.map((s) => [s.rate, s.sustained, s.withinSlo])).toEqual([
      [100, true, true],
      [200, true, true],
      [300, true, false],
    ]);
    expect(knee.steps[2]!.why).toEqual(["HTTP p99 40.0 ms"]);
    expect(knee).toMatchObject({ rate: 200, sustainedRate: 300, peakRate: 300 });
  });
  it("stops counting at the first broken step and skips steps after the load ended", async () => {
    const windows = new Map([
      [0, stats(1000, 5, 50)],
      [1, stats(2000, 5)],
    ]);
    const knee = await judgeRamp(
      null,
      windows,
      "r",
      { rates: [100, 200, 300], stepSeconds: 10 },
      0,
      20_000,
      [],
      [],
      defaultSlo,
      "stopped at t+20s",
    );
    expect(knee.steps).toHaveLength(2);
    expect(knee.steps[0]!.why).toEqual(["errors 5.00%"]);
    expect(knee).toMatchObject({
      rate: 0,
      sustainedRate: 0,
      peakRate: 200,
      stoppedEarly: "stopped at t+20s",
    });
  });
});
