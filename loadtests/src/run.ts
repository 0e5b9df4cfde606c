/**
 * Runs one scenario against the running stack and judges it:
 *
 *   node loadtests/src/run.ts --scenario load --rate 1000 --duration 60s [--warmup 10s] [--engine native|k6]
 *
 * An engine drives the load planned by scenarios/lib/model.ts (the native engine: vegeta and the
 * undici flow driver; or the user's own k6 running loadtests/scenarios/<scenario>.ts) and
 * measures HTTP latency, errors and the end-to-end probe; meanwhile this runner samples
 * consumer lag every second, keeps sampling
 * after the load until every group has drained (the drain time), checks the ledger, pulls the
 * time series from Prometheus, writes report.json + index.html under
 * .eventscope/reports/<runId>/ and prints a summary table. Exit code 0 only when every threshold
 * (the engine's and the runner's) holds. The report says which engine ran.
 *
 * Programmatic use (the benchmarks): `runScenario({ scenario, rate, duration })` resolves with
 * the figures (HTTP and e2e percentiles, max lag, drain time, ledger, the knee for `ramp`).
 */
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { chooseEngine } from "./engine.ts";
import { collectFigures } from "./run/collect.ts";
import { driveLoad, startRun, warmUp } from "./run/drive.ts";
import { judgeFigures } from "./run/judge.ts";
import { assembleReport, runFigures, writeReport } from "./run/report.ts";
import { env, prepareRun, scenarioDefaults } from "./run/setup.ts";
import { jitPhrase } from "./summary.ts";
import type { RunFigures, RunOptions } from "./run/types.ts";
import type { ScenarioName } from "../scenarios/lib/model.ts";

export { repoRoot, scenarioDefaults } from "./run/setup.ts";
export type { RunFigures, RunOptions } from "./run/types.ts";
export type { ScenarioName } from "../scenarios/lib/model.ts";

/**
 * One run, stage by stage: check the stack and settle the run, start the samplers, drive the
 * load until the consumers drain, collect the figures, judge them, write the report.
 */
export async function runScenario(opts: RunOptions): Promise<RunFigures> {
  const setup = await prepareRun(opts);
  await warmUp(setup);
  const started = await startRun(setup);
  const load = await driveLoad(setup, started);
  const figures = await collectFigures(setup, started, load);
  const verdict = judgeFigures(setup, started.sampler.samples, load, figures);
  const times = { start: started.start, end: Date.now() };
  const report = assembleReport(setup, times, load, figures, verdict, started.prom.url);
  return runFigures(setup, report, await writeReport(setup, report));
}

/** "kafka's JIT compiler 1.45 of its 2.84 ms of CPU per event": what a fresh JVM spent compiling. */
const coldText = (f: RunFigures): string =>
  Object.entries(f.jitCpuMsPerEventByPart)
    .map(([part, ms]) => `${jitPhrase(part, ms, f.stackCpuMsPerEventByPart[part])} ms of CPU per event`)
    .join(", ");

/** Where everything is, after `make demo` (the stack stays up). */
function demoFooter(f: RunFigures): string {
  const jaeger = env("JAEGER_UI_URL", "http://127.0.0.1:16686");
  const rel = relative(process.cwd(), f.reportHtml) || f.reportHtml;
  return `
The stack is still running (stop it with \`make down\`; status: \`make ps\`):
  console       http://127.0.0.1:8080/console/   (this run's events, their journeys and traces, Kafka, live figures)
  front door    http://127.0.0.1:8080   (every route; Swagger UI at /swagger)
  producer      http://127.0.0.1:8081/api/events   (write routes need  X-API-Key: eventscope-demo-key)
  event store   http://127.0.0.1:8082/api/eventstore/stats
  projection    http://127.0.0.1:8083/api/projections
  notification  http://127.0.0.1:8084/api/deliveries
  processes     http://127.0.0.1:8086/api/processes
  Prometheus    http://127.0.0.1:9090/graph?g0.expr=${encodeURIComponent(
    f.engine === "k6"
      ? `k6_write_duration_p99{testid="${f.runId}"}`
      : `histogram_quantile(0.99, sum by (le) (rate(loadgen_http_request_duration_seconds_bucket{testid="${f.runId}"}[15s])))`,
  )}
  Jaeger API    ${jaeger}/api/services
  report        ${rel}
                file://${f.reportHtml}
Next: \`make load SCENARIO=load RATE=1000 DURATION=60s\`, \`make load SCENARIO=ramp\`, \`make load SCENARIO=flows\`.`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: "string", short: "s" },
      rate: { type: "string", short: "r" },
      duration: { type: "string", short: "d" },
      quiet: { type: "boolean", short: "q" },
      demo: { type: "boolean" },
      warmup: { type: "string", short: "w" },
      engine: { type: "string", short: "e" },
    },
  });
  const engine = chooseEngine(values.engine ?? process.env.ENGINE);
  if (values.demo) {
    // The demo shows the pipeline working end to end: it fails only when the ledger does (or
    // nothing ran); a missed latency SLO is printed, not fatal, on a busy 2-core box.
    const figures = await runScenario({
      scenario: "load",
      rate: Number(values.rate ?? process.env.DEMO_RATE ?? 200),
      duration: values.duration ?? process.env.DEMO_DURATION ?? "20s",
      warmup: values.warmup ?? process.env.DEMO_WARMUP ?? "10s",
      engine,
    });
    process.stdout.write(demoFooter(figures) + "\n");
    const ledgerOk = figures.lost === 0 && figures.duplicated === 0;
    if (!figures.passed && ledgerOk) {
      process.stdout.write(
        `\nThe demo run missed ${figures.failed.length} SLO(s) (${figures.failed.join(", ")}); nothing was lost or duplicated.\n` +
          (figures.compiling
            ? `It ran on a cold broker: ${coldText(figures)} (a JVM compiles its hot code in its first minutes under load). A run after a minute or two of load measures the warm stack: make load SCENARIO=load RATE=${figures.rate} DURATION=${figures.duration} WARMUP=60s\n`
            : ""),
      );
    }
    process.exitCode = ledgerOk ? 0 : 1;
    return;
  }
  const scenario = (values.scenario ?? process.env.SCENARIO ?? "smoke") as ScenarioName;
  if (!(scenario in scenarioDefaults)) {
    process.stderr.write(
      `unknown scenario "${scenario}"; one of: ${Object.keys(scenarioDefaults).join(", ")}\n`,
    );
    process.exit(2);
  }
  const rate = values.rate ?? process.env.RATE;
  const duration = values.duration ?? process.env.DURATION;
  const warmup = values.warmup ?? process.env.WARMUP;
  const figures = await runScenario({
    scenario,
    ...(rate ? { rate: Number(rate) } : {}),
    ...(duration ? { duration } : {}),
    ...(warmup ? { warmup } : {}),
    quiet: values.quiet ?? false,
    engine,
  });
  process.exitCode = figures.passed ? 0 : 1;
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
