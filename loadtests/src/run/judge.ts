/**
 * The run's verdict: the engine's thresholds (the plan's, judged by k6 or the recorder) with each
 * rule's observed value, then the ones only the runner can judge (lag, drain, ledger, offered
 * rate, the engine's exit), and the notes that say how the figures were taken. Pure: figures in,
 * verdicts out.
 */
import type { ProbePlan, ScenarioName } from "../../scenarios/lib/model.ts";
import { e2eNote } from "../../scenarios/lib/probe.ts";
import type { Slo } from "../../scenarios/lib/slo.ts";
import type { EngineName } from "../engine.ts";
import type { LagSample } from "../lag.ts";
import type { LedgerResult } from "../ledger.ts";
import type { Knee, Report, ThresholdResult } from "../model.ts";
import type { SummaryMetric } from "../native/recorder.ts";
import type { CollectedFigures } from "./collect.ts";
import type { DrivenLoad } from "./drive.ts";
import type { RunSetup } from "./setup.ts";

const thresholdNames: Record<string, { name: string; unit: ThresholdResult["unit"] }> = {
  "http_req_duration{kind:write}": { name: "HTTP latency (writes)", unit: "ms" },
  "http_req_failed{kind:write}": { name: "HTTP errors (writes)", unit: "ratio" },
  e2e_latency: { name: "End-to-end (accepted -> read model)", unit: "ms" },
  flow_failures: { name: "Flow failures", unit: "events" },
};

/** The engine's thresholds (the plan's, judged by k6 or the recorder) with each rule's observed value. */
export function engineThresholds(
  metrics: Record<string, SummaryMetric>,
  engine: EngineName,
): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const [metric, m] of Object.entries(metrics)) {
    for (const [rule, t] of Object.entries(m.thresholds ?? {})) {
      // Rules that always hold only make a sub-metric appear in the summary.
      if (/>=\s*0$/.test(rule.trim())) continue;
      const match = /^\s*([a-z]+(?:\([\d.]+\))?)\s*(<=|<|>=|>|==)\s*([\d.]+)\s*$/.exec(rule);
      const stat = match?.[1] ?? "";
      const limit = Number(match?.[3] ?? NaN);
      const observed = m.values[stat] ?? (stat === "count" ? 0 : null);
      const label = thresholdNames[metric] ?? { name: metric, unit: "ms" as const };
      const statLabel =
        stat === "rate" || stat === "count" ? "" : ` ${stat.replace("(", "").replace(")", "")}`;
      out.push({
        name: `${label.name}${statLabel}`,
        rule: `${metric} ${rule}`,
        limit,
        observed,
        unit: label.unit,
        ok: t.ok,
        source: engine,
      });
    }
  }
  return out;
}

/** What the runner's judgement reads. */
export interface RunVerdictInput {
  scenario: ScenarioName;
  engine: EngineName;
  rate: number;
  slo: Slo;
  metrics: Record<string, SummaryMetric>;
  maxLag: number;
  maxLagSeconds: number | null;
  drainSeconds: number | null;
  ledger: LedgerResult | null;
  accepted: number;
  loadStart: number;
  loadEnd: number;
  exitCode: number;
  stoppedEarly: string | null;
}

/** The thresholds of the run: the engine's, then the ones only the runner can judge. */
export function judgeRun(input: RunVerdictInput): ThresholdResult[] {
  const { scenario, engine, rate, slo, maxLag, maxLagSeconds, drainSeconds, ledger, accepted } = input;
  const thresholds = engineThresholds(input.metrics, engine);
  const runner = (
    name: string,
    rule: string,
    limit: number,
    observed: number | null,
    unit: ThresholdResult["unit"],
    ok: boolean,
  ) => thresholds.push({ name, rule, limit, observed, unit, ok, source: "runner" });
  // A ramp overloads on purpose: its lag is judged per step (the knee), not for the run.
  const judgeLag = scenario !== "ramp";
  if (judgeLag)
    runner(
      "Max consumer lag",
      `max lag <= ${slo.SLO_MAX_LAG_MESSAGES} messages`,
      slo.SLO_MAX_LAG_MESSAGES,
      maxLag,
      "messages",
      maxLag <= slo.SLO_MAX_LAG_MESSAGES,
    );
  if (judgeLag)
    runner(
      "Max consumer lag (age)",
      `max lag <= ${slo.SLO_MAX_LAG_SECONDS} s`,
      slo.SLO_MAX_LAG_SECONDS,
      maxLagSeconds,
      "s",
      (maxLagSeconds ?? 0) <= slo.SLO_MAX_LAG_SECONDS,
    );
  runner(
    "Drain time",
    `lag back to 0 within ${slo.SLO_DRAIN_SECONDS} s`,
    slo.SLO_DRAIN_SECONDS,
    drainSeconds,
    "s",
    drainSeconds !== null && drainSeconds <= slo.SLO_DRAIN_SECONDS,
  );
  if (ledger) {
    runner("Ledger: lost", "lost == 0", 0, ledger.lost, "events", ledger.lost === 0);
    runner("Ledger: duplicated", "duplicated == 0", 0, ledger.duplicated, "events", ledger.duplicated === 0);
    runner(
      "Ledger: not projected",
      "not projected == 0",
      0,
      ledger.notProjected,
      "events",
      ledger.notProjected === 0,
    );
    runner(
      "Ledger: projected twice",
      "projected twice == 0",
      0,
      ledger.projectedTwice,
      "events",
      ledger.projectedTwice === 0,
    );
    if (ledger.orders) {
      const o = ledger.orders;
      runner("Orders: not final", "orders not final == 0", 0, o.notFinal, "events", o.notFinal === 0);
      runner(
        "Orders: stock held after cancel",
        "cancelled orders holding stock == 0",
        0,
        o.stockHeld,
        "events",
        o.stockHeld === 0,
      );
      if (o.orders === 0) runner("Orders", "> 0", 0, 0, "events", false);
    }
  } else {
    runner("Ledger", "checked", 0, null, "events", false);
  }
  if (accepted === 0) runner("Accepted events", "> 0", 0, 0, "events", false);
  // A constant-rate run that could not offer its rate (out of VUs or workers, requests too slow) did
  // not test what it says: it fails, with how much load the platform actually got.
  if ((scenario === "load" || scenario === "soak") && rate > 0) {
    const achieved = accepted / Math.max(0.001, (input.loadEnd - input.loadStart) / 1000);
    runner(
      "Offered rate",
      `accepted/s >= 95% of ${rate}/s`,
      0.95 * rate,
      achieved,
      "/s",
      achieved >= 0.95 * rate,
    );
  }
  if (input.exitCode !== 0 && input.exitCode !== 99 && !input.stoppedEarly) {
    runner(`${engine} exit code`, "0 (99 = thresholds crossed)", 0, input.exitCode, "events", false);
  }
  return thresholds;
}

/** Where the lag figures came from: the services' GET /lag when any sample had it. */
export const lagSourceOf = (samples: LagSample[]): Report["lag"]["source"] =>
  samples.some((s) => s.source === "lag-endpoint") ? "lag-endpoint" : "kafka-admin";

/** The report's notes: how lag and end-to-end were measured, and what the run could not do. */
export function runNotes(input: {
  lagSource: Report["lag"]["source"];
  ledgerError: string | null;
  stoppedEarly: string | null;
  knee: Knee | null;
  /** How the probe read its events back (the e2e note says what bounds the figure). */
  probe: Pick<ProbePlan, "mode" | "waitMs" | "pollMs">;
}): string[] {
  const { ledgerError, stoppedEarly, knee } = input;
  const notes: string[] = [];
  notes.push(
    input.lagSource === "lag-endpoint"
      ? "Lag in messages sampled by the runner (kafkajs admin: committed offsets vs high watermarks); lag in seconds and verdicts from the services' GET /lag."
      : "Lag in messages sampled by the runner (kafkajs admin: committed offsets vs high watermarks). Lag in seconds: the oldest unconsumed offset's first sighting in the runner's 1 s history of high watermarks (a lower bound, one sampling interval of resolution); the services' GET /lag was not available.",
  );
  notes.push(e2eNote(input.probe));
  notes.push(
    "Lag and the platform's own rates cover every producer on the topics: other traffic on the shared stack during the run shows up there (the ledger only counts this run's events).",
  );
  if (ledgerError) notes.push(`The ledger could not be checked: ${ledgerError}`);
  if (stoppedEarly) notes.push(`The ramp was ${stoppedEarly}.`);
  if (knee && knee.rate === 0 && knee.steps.length > 0) {
    notes.push(
      `No step was within the SLOs: the knee is below the first step (${knee.steps[0]!.rate}/s); start lower with RAMP_START and RAMP_STEP.`,
    );
  }
  return notes;
}

/** The run's verdict: its thresholds, whether all held, and the notes on how it was measured. */
export interface Verdict {
  thresholds: ThresholdResult[];
  passed: boolean;
  lagSource: string;
  notes: string[];
}

export function judgeFigures(
  setup: RunSetup,
  samples: LagSample[],
  load: DrivenLoad,
  figures: CollectedFigures,
): Verdict {
  const thresholds = judgeRun({
    scenario: setup.scenario,
    engine: setup.engine,
    rate: setup.rate,
    slo: setup.slo,
    metrics: figures.metrics,
    maxLag: figures.maxLag,
    maxLagSeconds: figures.maxLagSeconds,
    drainSeconds: load.drainSeconds,
    ledger: figures.ledger,
    accepted: figures.accepted,
    loadStart: load.loadStart,
    loadEnd: load.loadEnd,
    exitCode: load.exitCode,
    stoppedEarly: load.stoppedEarly,
  });
  const lagSource = lagSourceOf(samples);
  const notes = runNotes({
    lagSource,
    ledgerError: figures.ledgerError,
    stoppedEarly: load.stoppedEarly,
    knee: figures.knee,
    probe: setup.plan.probe,
  });
  return { thresholds, passed: thresholds.every((t) => t.ok), lagSource, notes };
}
