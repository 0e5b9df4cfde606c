import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { costOver, runCost, sampleClock, stillCompiling, withStepCost } from "./cost.ts";
import { renderHtml } from "./html.ts";
import type { Knee, KneeStep, NamedSeries, Point, Report } from "./model.ts";
import { summaryTable } from "./summary.ts";
import { defaultSlo } from "../scenarios/lib/slo.ts";

/** One sample a second at t = 1 s .. n s, each covering the second before it. */
const every = (n: number, pct: number | ((t: number) => number | null)): Point[] =>
  Array.from({ length: n }, (_, i) => (i + 1) * 1000).flatMap((t): Point[] => {
    const v = typeof pct === "number" ? pct : pct(t);
    return v === null ? [] : [[t, v]];
  });

/** A box of 2 cores: the stack at 100 % of a core, the generator at 15 %, others at 35 %. */
const steady = (n = 10, overrides: Record<string, Point[]> = {}): NamedSeries[] => {
  const base: Record<string, Point[]> = {
    machine: every(n, 150),
    other: every(n, 35),
    vegeta: every(n, 10),
    runner: every(n, 5),
    kafka: every(n, 50),
    producer: every(n, 30),
    postgres: every(n, 20),
    ...overrides,
  };
  return Object.entries(base).map(([name, points]) => ({ name, points }));
};

const close = (v: number | null | undefined, expected: number) => {
  expect(v).not.toBeNull();
  expect(v!).toBeCloseTo(expected, 6);
};

describe("what an event cost", () => {
  it("adds each part's CPU over the window and divides by the accepted events, leaving the generator out", () => {
    const w = costOver(steady(), { from: 0, to: 10_000 }, 1000, 2);
    expect(w.parts.map((p) => p.name)).toEqual(["kafka", "producer", "postgres"]);
    close(w.parts[0]!.cpuSeconds, 5);
    close(w.parts[0]!.msPerEvent, 5);
    close(w.parts[1]!.msPerEvent, 3);
    close(w.parts[2]!.msPerEvent, 2);
    close(w.stack.cpuSeconds, 10);
    close(w.stack.msPerEvent, 10);
    close(w.stack.cores, 1);
    close(w.machine.busy, 0.75);
    close(w.machine.stack, 0.5);
    close(w.machine.generator, 0.075);
    close(w.machine.other, 0.175);
    expect(w.samples).toBe(10);
  });

  it("counts a sample that straddles the window's edge for the share of it inside", () => {
    // Samples at 1 s, 2 s, 3 s: half of the first, all of the second, half of the third.
    const w = costOver(steady(), { from: 500, to: 2500 }, 100, 2);
    close(w.parts.find((p) => p.name === "kafka")!.cpuSeconds, 0.25 + 0.5 + 0.25);
    close(w.stack.msPerEvent, (2 * 1 * 1000) / 100);
    expect(w.samples).toBe(3);
  });

  it("takes each sample's length from the clock, not a fixed second (a slow sample counts for longer)", () => {
    const cpu: NamedSeries[] = [
      {
        name: "machine",
        points: [
          [1000, 100],
          [2000, 100],
          [4000, 100],
        ],
      },
      {
        name: "kafka",
        points: [
          [1000, 50],
          [2000, 50],
          [4000, 50],
        ],
      },
    ];
    expect(sampleClock(cpu).startOf.get(4000)).toBe(2000);
    close(costOver(cpu, { from: 0, to: 4000 }, 10, 2).parts[0]!.cpuSeconds, 0.5 + 0.5 + 1);
  });

  it("counts the drain: the consumers' work after the last request is part of the events' cost", () => {
    // Load to 10 s; the projection keeps working at 80 % until the drain at 13 s, then idles.
    const projection = every(16, (t) => (t <= 13_000 ? 80 : 0));
    const cpu = steady(16, { projection });
    const cost = runCost(cpu, { loadStart: 0, loadEnd: 10_000, drained: 13_000 }, { accepted: 1000 }, 2);
    expect(cost.basis).toBe("load+drain");
    close(cost.load.parts.find((p) => p.name === "projection")!.cpuSeconds, 8);
    close(cost.loadAndDrain.parts.find((p) => p.name === "projection")!.cpuSeconds, 10.4);
    expect(cost.loadAndDrain.stack.msPerEvent!).toBeGreaterThan(cost.load.stack.msPerEvent!);
    close(cost.loadAndDrain.seconds, 13);
    expect(cost.drained).toBe(true);
  });

  it("counts a JVM's JIT compiler within the part, not beside it, and says when it was still compiling", () => {
    // Kafka at 50 % of a core, of which its compiler threads 20 % (a fresh broker) or 2 % (a warm one).
    const cold = runCost(
      steady(10, { "kafka JIT": every(10, 20) }),
      { loadStart: 0, loadEnd: 10_000, drained: 10_000 },
      { accepted: 1000 },
      2,
    );
    expect(cold.loadAndDrain.parts.map((p) => p.name)).toEqual(["kafka", "producer", "postgres"]);
    close(cold.loadAndDrain.stack.msPerEvent, 10);
    expect(cold.jit).toHaveLength(1);
    expect(cold.jit[0]!.part).toBe("kafka");
    close(cold.jit[0]!.cpuSeconds, 2);
    close(cold.jit[0]!.msPerEvent, 2);
    close(cold.jit[0]!.share, 0.4);
    expect(stillCompiling(cold.jit).map((j) => j.part)).toEqual(["kafka"]);
    expect(cold.notes.join(" ")).toMatch(
      /kafka's JIT compiler took 40% of its CPU \(2\.00 ms per event\).*cold kafka/,
    );
    const warm = runCost(
      steady(10, { "kafka JIT": every(10, 2) }),
      { loadStart: 0, loadEnd: 10_000, drained: 10_000 },
      { accepted: 1000 },
      2,
    );
    close(warm.jit[0]!.share, 0.04);
    expect(stillCompiling(warm.jit)).toEqual([]);
    expect(warm.notes.join(" ")).not.toMatch(/JIT/);
    const none = runCost(
      steady(10),
      { loadStart: 0, loadEnd: 10_000, drained: 10_000 },
      { accepted: 1000 },
      2,
    );
    expect(none.jit).toEqual([]);
    expect(stillCompiling(none.jit)).toEqual([]);
  });

  it("runs to the last sample when the consumers did not drain, and says so", () => {
    const cost = runCost(steady(12), { loadStart: 0, loadEnd: 10_000, drained: null }, { accepted: 1000 }, 2);
    expect(cost.loadAndDrain.to).toBe(12_000);
    expect(cost.drained).toBe(false);
    expect(cost.notes.join(" ")).toMatch(/did not drain/);
  });

  it("names the parts of the stack that were not sampled: the total lacks them", () => {
    const cost = runCost(steady(), { loadStart: 0, loadEnd: 10_000, drained: 10_000 }, { accepted: 1000 }, 2);
    expect(cost.missing).toEqual([
      "event-store",
      "projection",
      "notification",
      "prometheus",
      "jaeger",
      "smtp",
      "pg_exporter",
    ]);
    expect(cost.notes.find((n) => n.startsWith("Not sampled"))).toMatch(/event-store, projection/);
    // A part seen only outside the window is not part of it either.
    const late = runCost(
      steady(12, { jaeger: [[12_000, 40]] }),
      { loadStart: 0, loadEnd: 10_000, drained: 10_000 },
      { accepted: 1000 },
      2,
    );
    expect(late.loadAndDrain.parts.map((p) => p.name)).not.toContain("jaeger");
    expect(late.missing).toContain("jaeger");
  });

  it("counts a part restarted mid-run from its samples either side and names the samples it lost", () => {
    // The producer's pid file is gone for two samples (no points), then its new process counts
    // from a new baseline (0 for one sample), then 30 % again.
    const producer = every(10, (t) => (t === 4000 || t === 5000 ? null : t === 6000 ? 0 : 30));
    const cost = runCost(
      steady(10, { producer }),
      { loadStart: 0, loadEnd: 10_000, drained: 10_000 },
      { accepted: 1000 },
      2,
    );
    const p = cost.loadAndDrain.parts.find((x) => x.name === "producer")!;
    close(p.cpuSeconds, 7 * 0.3);
    expect(p.missingSamples).toBe(2);
    expect(cost.loadAndDrain.parts.find((x) => x.name === "kafka")!.missingSamples).toBe(0);
    expect(cost.notes.find((n) => n.startsWith("Samples missing"))).toMatch(/producer 2 of 10/);
  });

  it("notes a noisy box and a saturated machine, and not a quiet one", () => {
    const noisy = runCost(
      steady(),
      { loadStart: 0, loadEnd: 10_000, drained: 10_000 },
      { accepted: 1000 },
      2,
    );
    expect(noisy.notes.find((n) => n.startsWith("Other processes"))).toMatch(
      /18% of the machine \(0\.35 of 2 cores\)/,
    );
    expect(noisy.notes.some((n) => n.startsWith("The machine was"))).toBe(false);
    const saturated = runCost(
      steady(10, { machine: every(10, 196) }),
      { loadStart: 0, loadEnd: 10_000, drained: 10_000 },
      { accepted: 1000 },
      2,
    );
    expect(saturated.notes.find((n) => n.startsWith("The machine was"))).toMatch(/98% busy/);
    const quiet = runCost(
      steady(10, { other: every(10, 4), machine: every(10, 119) }),
      { loadStart: 0, loadEnd: 10_000, drained: 10_000 },
      { accepted: 1000 },
      2,
    );
    expect(quiet.notes.some((n) => /Other processes|The machine was/.test(n))).toBe(false);
  });

  it("gives the cost per stored event too when the store holds more than was answered 202", () => {
    const times = { loadStart: 0, loadEnd: 10_000, drained: 10_000 };
    const cost = runCost(steady(), times, { accepted: 1000, stored: 1250 }, 2);
    close(cost.loadAndDrain.stack.msPerEvent, 10);
    close(cost.msPerStoredEvent, 8);
    expect(cost.notes.find((n) => n.startsWith("The event store holds"))).toMatch(
      /1250 events .* 1000 accepted .* 8\.00 ms/,
    );
    expect(
      runCost(steady(), times, { accepted: 1000, stored: 1010 }, 2).notes.some((n) =>
        n.startsWith("The event store"),
      ),
    ).toBe(false);
    expect(runCost(steady(), times, { accepted: 1000 }, 2).msPerStoredEvent).toBeNull();
  });

  it("says when other traffic shared the stack, and how many reads the probe added", () => {
    const times = { loadStart: 0, loadEnd: 10_000, drained: 10_000 };
    const shared = runCost(steady(), times, { accepted: 1000, ingested: 2500, probeReads: 400 }, 2);
    expect(shared.notes.find((n) => n.startsWith("events.ingest took"))).toMatch(
      /2500 messages in the window against this run's 1000.* 4\.00 ms/,
    );
    expect(shared.notes.find((n) => n.startsWith("The stack also answered"))).toMatch(
      /400 reads .*0\.40 per/,
    );
    expect(shared.ingested).toBe(2500);
    const alone = runCost(steady(), times, { accepted: 1000, stored: 1000, ingested: 1005 }, 2);
    expect(alone.notes.some((n) => n.startsWith("events.ingest took"))).toBe(false);
    expect(alone.notes.some((n) => n.startsWith("The stack also answered"))).toBe(false);
  });

  it("gives the probe's reads per probe: one each when every read waited for its event", () => {
    const times = { loadStart: 0, loadEnd: 10_000, drained: 10_000 };
    const waited = runCost(steady(), times, { accepted: 1000, probeReads: 52, probes: 50 }, 2);
    expect(waited.probeReads).toBe(52);
    expect(waited.notes.find((n) => n.startsWith("The stack also answered"))).toMatch(
      /52 reads .*\(0\.05 per accepted event, 1\.04 per probe\)/,
    );
    const polled = runCost(steady(), times, { accepted: 1000, probeReads: 597, probes: 50 }, 2);
    expect(polled.notes.find((n) => n.startsWith("The stack also answered"))).toMatch(/11\.94 per probe/);
  });

  it("gives no per-event figure without accepted events, without samples, or without the stack", () => {
    expect(costOver(steady(), { from: 0, to: 10_000 }, 0, 2).stack.msPerEvent).toBeNull();
    const none = runCost([], { loadStart: 0, loadEnd: 10_000, drained: 10_000 }, { accepted: 1000 }, 2);
    expect(none.loadAndDrain.stack.msPerEvent).toBeNull();
    expect(none.notes[0]).toMatch(/No CPU samples/);
    const generatorOnly = steady().filter((s) => ["machine", "other", "vegeta", "runner"].includes(s.name));
    const docker = runCost(
      generatorOnly,
      { loadStart: 0, loadEnd: 10_000, drained: 10_000 },
      { accepted: 1000 },
      2,
    );
    expect(docker.loadAndDrain.stack.msPerEvent).toBeNull();
    expect(docker.notes[0]).toMatch(/No process of the stack/);
  });

  it("gives each ramp step the stack's CPU per event answered without error in it", () => {
    // Kafka 50 % for the first 5 s, 100 % for the next 5 s.
    const cpu = steady(10, { kafka: every(10, (t) => (t <= 5000 ? 50 : 100)) });
    const step = (rate: number, from: number, requests: number, errorRate: number): KneeStep => ({
      rate,
      from,
      to: from + 5000,
      requests,
      achieved: requests / 5,
      errorRate,
      p50: 1,
      p99: 2,
      e2eP99: null,
      lagSeconds: null,
      lag: 0,
      sustained: true,
      withinSlo: false,
      why: [],
    });
    const knee: Knee = {
      rate: 0,
      sustainedRate: 0,
      peakRate: 0,
      steps: [step(100, 0, 500, 0), step(200, 5000, 1000, 0.5)],
      stoppedEarly: null,
      slo: defaultSlo,
    };
    const [a, b] = withStepCost(knee, cpu, 2, 10_000).steps;
    // Step 1: (2.5 + 1.5 + 1) s / 500 events; step 2: (5 + 1.5 + 1) s / 500 answered without error.
    close(a!.cpuMsPerEvent, 10);
    close(b!.cpuMsPerEvent, 15);
    close(b!.stackCores, 1.5);
  });
});

describe("the cost in the report", () => {
  // A report recorded by a real run (k6 engine), with its cost worked out from its own series.
  const fixture = JSON.parse(
    readFileSync(new URL("../report/fixture/report.json", import.meta.url), "utf8"),
  ) as Report;
  const report: Report = {
    ...fixture,
    cost: runCost(
      fixture.series.cpu,
      fixture.times,
      { accepted: fixture.http.accepted, stored: fixture.ledger?.stored ?? null },
      fixture.machine.cpus,
    ),
  };
  const w = report.cost!.loadAndDrain;

  it("leaves k6 and the runner out of the stack and finds every part of it sampled", () => {
    expect(w.parts.map((p) => p.name)).not.toContain("k6");
    expect(w.parts.map((p) => p.name)).not.toContain("runner");
    expect(report.cost!.missing).toEqual(["pg_exporter"]);
    expect(w.stack.msPerEvent!).toBeGreaterThan(0);
  });

  it("prints the stack's CPU per event beside the latencies, costliest part first, with a noisy box noted", () => {
    const text = summaryTable(report);
    const line = text.split("\n").find((l) => l.includes("stack CPU/event"))!;
    expect(line).toContain(`${w.stack.msPerEvent!.toFixed(2)} ms`);
    expect(line).toContain(`(${w.parts[0]!.name} ${w.parts[0]!.msPerEvent!.toFixed(2)},`);
    expect(text).toMatch(/note: Other processes took \d+% of the machine/);
    expect(summaryTable(fixture)).not.toContain("stack CPU/event");
  });

  it("gives a JVM's JIT compiler beside its part, in the summary line and under the part's row", () => {
    const withJit: Report = {
      ...report,
      cost: runCost(
        [
          ...fixture.series.cpu,
          {
            name: "kafka JIT",
            points: fixture.series.cpu
              .find((s) => s.name === "kafka")!
              .points.map(([t, v]): Point => [t, v / 2]),
          },
        ],
        fixture.times,
        { accepted: fixture.http.accepted, stored: fixture.ledger?.stored ?? null },
        fixture.machine.cpus,
      ),
    };
    const c = withJit.cost!;
    const kafka = c.loadAndDrain.parts.find((p) => p.name === "kafka")!;
    expect(c.loadAndDrain.stack.msPerEvent).toBeCloseTo(w.stack.msPerEvent!, 9);
    close(c.jit[0]!.share, 0.5);
    const line = summaryTable(withJit)
      .split("\n")
      .find((l) => l.includes("stack CPU/event"))!;
    expect(line).toContain(
      `; kafka's JIT compiler ${c.jit[0]!.msPerEvent!.toFixed(2)} of its ${kafka.msPerEvent!.toFixed(2)})`,
    );
    expect(summaryTable(withJit)).toMatch(/note: kafka's JIT compiler took 50% of its CPU/);
    expect(renderHtml(withJit)).toContain("of which its JIT compiler");
    expect(renderHtml(report)).not.toContain("of which its JIT compiler");
  });

  it("shows a tile, a bar per part and the table in the page", () => {
    const html = renderHtml(report);
    expect(html).toContain("Stack CPU / event");
    expect(html).toContain('id="chart-cost"');
    expect(html.match(/<tr><td>/g)?.length).toBeGreaterThan(0);
    const table = html.slice(
      html.indexOf('id="cost-table"'),
      html.indexOf("</table>", html.indexOf('id="cost-table"')),
    );
    for (const p of w.parts) expect(table).toContain(`<td>${p.name}</td>`);
    expect(renderHtml(fixture)).not.toContain("What an event cost");
  });
});
