/**
 * What k6 makes of a plan: its scenarios (arrival-rate executors) and thresholds. Plain data
 * with no k6 module, so the unit tests compare it with what the native engine derives from the
 * same plan.
 */
import { ruleText, type Arrival, type ScenarioPlan } from "./model.ts";

export interface K6Scenario {
  executor: "ramping-arrival-rate" | "constant-arrival-rate" | "per-vu-iterations";
  exec: string;
  startRate?: number;
  rate?: number;
  timeUnit?: string;
  duration?: string;
  stages?: { target: number; duration: string }[];
  preAllocatedVUs?: number;
  maxVUs?: number;
  vus?: number;
  iterations?: number;
  maxDuration?: string;
  gracefulStop?: string;
}

const peakOf = (a: Arrival) => Math.max(a.startRate, ...a.stages.map((s) => s.target));

function arrivalScenario(exec: string, a: Arrival, maxVUs: number, gracefulStop: string): K6Scenario {
  return {
    executor: "ramping-arrival-rate",
    exec,
    startRate: a.startRate,
    timeUnit: "1s",
    stages: a.stages.map((s) => ({ target: s.target, duration: `${s.seconds}s` })),
    // Enough VUs up front for ~250 ms per iteration: starting VUs mid-run drops iterations.
    preAllocatedVUs: Math.min(maxVUs, Math.max(5, Math.ceil(peakOf(a) / 4))),
    maxVUs,
    gracefulStop,
  };
}

/** The exported function of a flow's script: a flow name written as a JS name ("checkout-declined" -> checkoutDeclined). */
export const execName = (flow: string): string => flow.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

export function k6Scenarios(plan: ScenarioPlan): Record<string, K6Scenario> {
  const out: Record<string, K6Scenario> = {};
  if (plan.activity)
    out[plan.scenario === "smoke" ? "activity" : plan.scenario] = arrivalScenario(
      "load",
      plan.activity.arrival,
      plan.maxInFlight,
      "10s",
    );
  for (const f of plan.flows) {
    out[f.flow] = f.arrival
      ? arrivalScenario(execName(f.flow), f.arrival, plan.maxInFlight, `${f.graceSeconds}s`)
      : {
          executor: "per-vu-iterations",
          exec: execName(f.flow),
          vus: 1,
          iterations: 1,
          maxDuration: `${f.graceSeconds}s`,
        };
  }
  out.probe = {
    executor: "constant-arrival-rate",
    exec: "probe",
    rate: plan.probe.rate,
    timeUnit: "1s",
    duration: `${plan.probe.seconds}s`,
    preAllocatedVUs: Math.max(2, Math.ceil(plan.probe.rate / 2)),
    maxVUs: Math.max(10, plan.probe.rate * 4),
    gracefulStop: `${Math.ceil(plan.probe.timeoutMs / 1000) + 2}s`,
  };
  return out;
}

/** The plan's thresholds in k6's syntax, plus rules that always hold (sub-metrics in the summary). */
export function k6Thresholds(plan: ScenarioPlan): Record<string, string[]> {
  const out: Record<string, string[]> = {
    "http_reqs{kind:write}": ["count>=0"],
    "http_req_duration{kind:write}": ["max>=0"],
  };
  for (const t of plan.thresholds) (out[t.metric] ??= []).push(ruleText(t));
  return out;
}

export function k6Options(plan: ScenarioPlan) {
  return {
    scenarios: k6Scenarios(plan),
    thresholds: k6Thresholds(plan),
    summaryTrendStats: ["avg", "min", "med", "p(90)", "p(95)", "p(99)", "max", "count"],
    // The URL is left out of the tags (ids in paths would make a series per request); requests
    // carry a `name` instead.
    systemTags: ["status", "method", "name", "scenario", "expected_response", "error_code", "check"],
    discardResponseBodies: false,
    setupTimeout: "30s",
    teardownTimeout: "30s",
  };
}
