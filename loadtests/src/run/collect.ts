/**
 * The figures of a run once the load has drained: the engine's summary, the ledger, the time
 * series, the run's lag and, for a ramp, the knee. Read in this order: the ledger before
 * Prometheus, whose series need one more scrape after the drain.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { kneeSlo } from "../../scenarios/lib/slo.ts";
import type { LagSample } from "../lag.ts";
import { checkLedger, type LedgerResult } from "../ledger.ts";
import type { Knee, Report } from "../model.ts";
import type { SummaryMetric } from "../native/recorder.ts";
import type { DrivenLoad, StartedRun } from "./drive.ts";
import { judgeRamp } from "./ramp.ts";
import { collectSeries, ingestedBetween, type lagSeries } from "./series.ts";
import type { RunSetup } from "./setup.ts";

/** A value of the engine's summary, null when the engine did not report it. */
export const summaryValue = (metrics: Record<string, SummaryMetric>, metric: string, stat: string) =>
  metrics[metric]?.values[stat] ?? null;

export interface CollectedFigures {
  metrics: Record<string, SummaryMetric>;
  accepted: number;
  unanswered: number;
  ledger: LedgerResult | null;
  ledgerError: string | null;
  series: Report["series"];
  lagGroups: ReturnType<typeof lagSeries>;
  maxLag: number;
  maxLagSeconds: number | null;
  knee: Knee | null;
  /** Messages appended to events.ingest over the load and its drain, by anyone. */
  ingested: number | null;
}

/** The engine's summary (k6's handleSummary, or the native recorder's in the same shape). */
async function engineSummary(setup: RunSetup, load: DrivenLoad): Promise<Record<string, SummaryMetric>> {
  const metrics: Record<string, SummaryMetric> = await load.run.summary();
  if (Object.keys(metrics).length === 0)
    load.run.warnings.push(`${setup.engine} gave no summary (exit code ${load.exitCode})`);
  if (setup.engine === "native")
    await writeFile(join(setup.dir, "summary.json"), JSON.stringify({ metrics }, null, 2));
  return metrics;
}

/** The ledger (a projection may commit its offsets a moment after its transaction: retry briefly). */
async function runLedger(
  setup: RunSetup,
  started: StartedRun,
  load: DrivenLoad,
  counts: { accepted: number; unanswered: number },
): Promise<{ ledger: LedgerResult | null; ledgerError: string | null }> {
  let ledger: LedgerResult | null = null;
  let ledgerError: string | null = null;
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      ledger = await checkLedger({
        databaseUrl: setup.databaseUrl,
        runId: setup.runId,
        fromPosition: started.fromPosition,
        since: new Date(started.start),
        accepted: counts.accepted,
        unanswered: counts.unanswered,
        processManagerUrl: setup.plan.processManager,
        apiKey: setup.plan.apiKey,
      });
    } catch (err) {
      ledgerError = err instanceof Error ? err.message : String(err);
      break;
    }
    if (ledger.ok || load.drained === null) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { ledger, ledgerError };
}

/** The highest lag of any group during the load, in messages and in seconds. */
export function runLag(samples: LagSample[], loadStart: number) {
  const inRun = samples.filter((s) => s.t >= loadStart);
  const maxLag = Math.max(0, ...inRun.flatMap((s) => s.groups.map((g) => g.lag)));
  const lagSecondsAll = inRun.flatMap((s) =>
    s.groups.map((g) => g.lagSeconds).filter((v): v is number => v !== null),
  );
  const maxLagSeconds = lagSecondsAll.length ? Math.max(...lagSecondsAll) : null;
  return { maxLag, maxLagSeconds };
}

export async function collectFigures(
  setup: RunSetup,
  started: StartedRun,
  load: DrivenLoad,
): Promise<CollectedFigures> {
  const metrics = await engineSummary(setup, load);
  const accepted = summaryValue(metrics, "events_accepted", "count") ?? 0;
  const unanswered = summaryValue(metrics, "writes_unanswered", "count") ?? 0;
  const { ledger, ledgerError } = await runLedger(setup, started, load, { accepted, unanswered });
  const { series, lagGroups } = await collectSeries(setup, started, load);
  const { maxLag, maxLagSeconds } = runLag(started.sampler.samples, load.loadStart);
  const { run } = load;
  const knee =
    setup.scenario === "ramp" && run.marks.steps
      ? await judgeRamp(
          started.promUp ? started.prom : null,
          run.windows,
          setup.runId,
          run.marks.steps,
          load.loadStart,
          load.loadEnd,
          run.probes,
          started.sampler.samples,
          kneeSlo(setup.k6Env),
          load.stoppedEarly,
        )
      : null;
  return {
    metrics,
    accepted,
    unanswered,
    ledger,
    ledgerError,
    series,
    lagGroups,
    maxLag,
    maxLagSeconds,
    knee,
    ingested: ingestedBetween(started.sampler.samples, load.loadStart, load.drained ?? Infinity),
  };
}
