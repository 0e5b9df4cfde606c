// One model, two engines: what k6 makes of each scenario's plan (its arrival-rate executors and
// thresholds) and what the native engine makes of it (vegeta's constant-rate attacks, the flow
// driver's arrivals, the recorder's thresholds) must be the same load judged the same way.
import { describe, expect, it } from "vitest";
import { k6Scenarios, k6Thresholds, type K6Scenario } from "../scenarios/lib/k6-options.ts";
import {
  planFor,
  scenarioNames,
  seconds,
  stageArrivals,
  type Arrival,
  type Env,
} from "../scenarios/lib/model.ts";
import { attacksOf, expectedHits, vegetaRate } from "./native/attacks.ts";
import { LoadMetrics } from "./native/metrics.ts";
import { Recorder } from "./native/recorder.ts";
import { chooseEngine } from "./engine.ts";

/** Arrivals per second of the load, one entry per second, as k6's ramping executor offers them. */
function k6PerSecond(s: K6Scenario): number[] {
  const out: number[] = [];
  if (s.executor === "constant-arrival-rate") {
    for (let i = 0; i < seconds(s.duration!); i++) out.push(s.rate!);
    return out;
  }
  let from = s.startRate!;
  for (const st of s.stages!) {
    const secs = seconds(st.duration);
    for (let i = 0; i < secs; i++)
      out.push(
        stageArrivals(from + ((st.target - from) * i) / secs, {
          target: from + ((st.target - from) * (i + 1)) / secs,
          seconds: 1,
        }),
      );
    from = st.target;
  }
  return out;
}

function nativePerSecond(a: Arrival): number[] {
  const out: number[] = [];
  for (const at of attacksOf(a)) for (let i = 0; i < at.seconds; i++) out[at.at + i] = at.rate;
  return out;
}

const knobs: Env[] = [
  {},
  { RATE: "1000", DURATION: "60s" },
  { RAMP_START: "100", RAMP_STEP: "150", RAMP_MAX: "700", STEP_DURATION: "5s" },
  { BASE_RATE: "50", SPIKE_RATE: "333", SPIKE_HOLD: "3s" },
  { RATE: "7", DURATION: "4s", SLO_HTTP_P99_MS: "40" },
];

describe.each(scenarioNames)("scenario %s", (name) => {
  it.each(knobs.map((env) => [JSON.stringify(env), env] as const))(
    "offers the same arrivals on k6 and on the native engine (%s)",
    (_label, env) => {
      const plan = planFor(name, env);
      const k6 = k6Scenarios(plan);
      if (plan.activity) {
        const key = name === "smoke" ? "activity" : name;
        const perK6 = k6PerSecond(k6[key]!);
        const perNative = nativePerSecond(plan.activity.arrival);
        expect(perNative.length).toBe(perK6.length);
        perNative.forEach((r, i) => expect(r, `second ${i}`).toBeCloseTo(perK6[i]!, 6));
        const total = attacksOf(plan.activity.arrival).reduce((n, a) => n + expectedHits(a), 0);
        expect(Math.abs(total - perK6.reduce((a, b) => a + b, 0))).toBeLessThanOrEqual(
          attacksOf(plan.activity.arrival).length,
        );
      }
      for (const f of plan.flows) {
        const s = k6[f.flow]!;
        if (f.once) expect(s).toMatchObject({ executor: "per-vu-iterations", iterations: 1 });
        else expect(k6PerSecond(s)).toEqual(nativePerSecond(f.arrival!));
      }
      expect(k6.probe).toMatchObject({ rate: plan.probe.rate, duration: `${plan.probe.seconds}s` });
      // Nothing in k6's options that the native engine would not run.
      const expectedKeys = [
        ...(plan.activity ? [name === "smoke" ? "activity" : name] : []),
        ...plan.flows.map((f) => f.flow),
        "probe",
      ];
      expect(Object.keys(k6).sort()).toEqual(expectedKeys.sort());
    },
  );

  it.each(knobs.map((env) => [JSON.stringify(env), env] as const))(
    "judges the same thresholds on both engines (%s)",
    (_label, env) => {
      const plan = planFor(name, env);
      const fromK6 = Object.entries(k6Thresholds(plan)).flatMap(([metric, rules]) =>
        rules.filter((r) => !/>=0$/.test(r)).map((r) => `${metric} ${r}`),
      );
      const summary = new Recorder(plan, new LoadMetrics({})).summary();
      const fromNative = Object.entries(summary).flatMap(([metric, m]) =>
        Object.keys(m.thresholds ?? {}).map((r) => `${metric} ${r}`),
      );
      expect(fromNative.sort()).toEqual(fromK6.sort());
      expect(fromK6.length).toBeGreaterThan(0);
      if (env.SLO_HTTP_P99_MS && name !== "ramp")
        expect(fromK6).toContain("http_req_duration{kind:write} p(99)<=40");
    },
  );
});

describe("the native engine's plan", () => {
  it("turns a linear ramp into one-second attacks with the ramp's arrivals", () => {
    const attacks = attacksOf({
      startRate: 100,
      stages: [
        { target: 300, seconds: 4 },
        { target: 300, seconds: 6 },
      ],
    });
    expect(attacks.map((a) => a.rate)).toEqual([125, 175, 225, 275, 300]);
    expect(attacks.at(-1)).toMatchObject({ at: 4, seconds: 6 });
    expect(attacks.reduce((n, a) => n + expectedHits(a), 0)).toBe(800 + 1800);
  });
  it("writes vegeta's rate with two decimals", () => {
    expect(vegetaRate(1000)).toBe("1000/1s");
    expect(vegetaRate(12.5)).toBe("1250/100s");
  });
  it("judges a threshold from the recorded requests, as k6 would", () => {
    const plan = planFor("load", { SLO_HTTP_P99_MS: "15" });
    const rec = new Recorder(plan, new LoadMetrics({ engine: "native", testid: "t" }));
    for (let i = 0; i < 100; i++)
      rec.record({
        scenario: "load",
        name: "POST /api/events",
        kind: "write",
        status: i < 99 ? 202 : 500,
        ms: i < 98 ? 5 : 50,
        at: 0,
        bytesIn: 0,
        bytesOut: 0,
      });
    const s = rec.summary();
    expect(s["http_req_duration{kind:write}"]!.values["p(99)"]).toBe(50);
    expect(s["http_req_duration{kind:write}"]!.thresholds!["p(99)<=15"]!.ok).toBe(false);
    expect(s["http_req_duration{kind:write}"]!.thresholds!["p(95)<=10"]!.ok).toBe(true);
    expect(s["http_req_failed{kind:write}"]!.values.rate).toBeCloseTo(0.01);
    expect(s["http_req_failed{kind:write}"]!.thresholds!["rate<=0.001"]!.ok).toBe(false);
    expect(s.events_accepted!.values.count).toBe(99);
  });
  it("chooses the engine asked for, and refuses any other", () => {
    expect(chooseEngine("native")).toBe("native");
    expect(chooseEngine("k6")).toBe("k6");
    expect(() => chooseEngine("locust")).toThrow(/ENGINE must be k6 or native/);
  });
});
