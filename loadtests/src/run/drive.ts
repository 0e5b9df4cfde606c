/**
 * The run itself: the samplers started before the load (consumer lag every second, the CPU of
 * the runner and the engine), the engine driving the plan, then the wait for every consumer
 * group to drain. A ramp far past its knee is stopped early: there is nothing more to learn.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { planFor } from "../../scenarios/lib/model.ts";
import { CpuSampler } from "../cpu.ts";
import type { EngineOptions, EngineRun } from "../engine.ts";
import { startK6 } from "../k6.ts";
import { LagSampler, defaultGroups } from "../lag.ts";
import { storeHead } from "../ledger.ts";
import { startNative } from "../native/index.ts";
import { Prometheus } from "../prometheus.ts";
import { repoRoot, type RunSetup } from "./setup.ts";

/** What is running once the samplers are started. */
export interface StartedRun {
  prom: Prometheus;
  promUp: boolean;
  /** The event store's head before the load: the ledger counts from there. */
  fromPosition: string;
  start: number;
  sampler: LagSampler;
  cpu: CpuSampler;
}

/** The load as driven: when it ran, how it ended, when the consumers caught up. */
export interface DrivenLoad {
  run: EngineRun;
  exitCode: number;
  loadStart: number;
  loadEnd: number;
  stoppedEarly: string | null;
  drained: number | null;
  drainSeconds: number | null;
}

/** The run id a warm-up's events carry: outside the run's own prefix, so its ledger never counts them. */
export const warmupRunId = (runId: string) => `warmup-${runId}`;

/**
 * The warm-up before a measured run: the same scenario at the same rate for `setup.warmup`, then
 * a wait until every consumer group has drained. Nothing of it is measured: its events carry a run
 * id of their own, it writes nothing to Prometheus, and the measured run's samplers and ledger
 * start after it. A stack just started compiles its hot code in its first seconds under load (V8
 * in each service, the broker's JVM): in a 20 s run at 200/s right after a start, the first
 * 2 s window's HTTP p99 was 69-163 ms against 4-13 ms later in the same run.
 */
export async function warmUp(setup: RunSetup): Promise<void> {
  const { rate, warmup, k6Env, say } = setup;
  if (!warmup) return;
  const t0 = Date.now();
  const runId = warmupRunId(setup.runId);
  const env = { ...k6Env, RUN_ID: runId, DURATION: warmup };
  say(
    `▶ warm-up: ${rate}/s for ${warmup}, not measured (a stack just started is still compiling its hot code)`,
  );
  // k6 writes its summary into the folder it is given: the warm-up's beside the run's report.
  const dir = join(setup.dir, "warmup");
  if (setup.engine === "k6") await mkdir(dir, { recursive: true });
  const run = startEngine(setup, { runId, env, remoteWrite: null, dir }, { echo: false, follow: () => {} });
  const { exitCode } = await run.done;
  const sampler = new LagSampler(lagGroups(setup));
  await sampler.start(200);
  const drained = await sampler.waitDrained(setup.drainTimeoutMs);
  await sampler.stop();
  if (drained === null)
    throw new Error(
      `the warm-up's events did not drain within ${setup.drainTimeoutMs / 1000} s: the stack is not keeping up at ${rate}/s`,
    );
  say(
    `  warm-up done in ${((Date.now() - t0) / 1000).toFixed(1)} s${exitCode === 0 ? "" : ` (its engine exited with ${exitCode}; not judged)`}`,
  );
}

/** The run's engine on the scenario with this environment: the user's k6, or the native one. */
function startEngine(
  setup: RunSetup,
  load: { runId: string; env: Record<string, string>; remoteWrite: string | null; dir: string },
  common: EngineOptions,
): EngineRun {
  const { runId, env, remoteWrite, dir } = load;
  return setup.engine === "k6"
    ? startK6({
        ...common,
        script: join(repoRoot, "loadtests", "scenarios", `${setup.scenario}.ts`),
        env,
        tags: { testid: runId },
        remoteWrite,
        dir,
      })
    : startNative(planFor(setup.scenario, env), { ...common, remoteWrite });
}

/** The consumer groups whose lag a run follows: the pipeline's, and the process manager's when it takes part. */
function lagGroups(setup: RunSetup) {
  const topicPrefix = process.env.TOPIC_PREFIX ?? "";
  const groups = defaultGroups(topicPrefix);
  if (setup.plan.processManager)
    groups.push({
      group: "process-manager",
      topic: `${topicPrefix}events.committed`,
      lagUrl: `${setup.plan.processManager}/lag`,
    });
  return groups;
}

export async function startRun(setup: RunSetup): Promise<StartedRun> {
  const { scenario, engine, say } = setup;
  const prom = new Prometheus();
  const promUp = await prom.ready();
  const fromPosition = await storeHead(setup.databaseUrl);
  const start = Date.now();
  // With the process manager in the run, its consumer's lag counts too (the drain waits for it).
  const sampler = new LagSampler(lagGroups(setup));
  await sampler.start(1000);
  const cpu = new CpuSampler(join(setup.home, "run"));
  cpu.follow("runner", process.pid);
  cpu.start(1000);

  const { rate, duration } = setup;
  say(
    `▶ ${scenario} run ${setup.runId} on ${engine}: ${scenario === "ramp" ? "stepped rates" : `${rate}/s`}` +
      `${duration && scenario !== "ramp" && scenario !== "spike" ? ` for ${duration}` : ""} (${setup.about})`,
  );
  if (!promUp)
    say(`  Prometheus is not answering: ${engine} runs without remote write, the report has fewer charts`);
  return { prom, promUp, fromPosition, start, sampler, cpu };
}

export async function driveLoad(setup: RunSetup, started: StartedRun): Promise<DrivenLoad> {
  const { scenario, runId, k6Env, say } = setup;
  const { prom, promUp, sampler, cpu } = started;
  const state: { loadEnd: number | null; stoppedEarly: string | null } = {
    loadEnd: null,
    stoppedEarly: null,
  };
  const common = {
    echo: !setup.quiet,
    follow: (name: string, pid: number | undefined) => cpu.follow(name, pid),
    onMark: (name: string, marks: { teardown?: number }) => {
      if (name === "teardown") {
        state.loadEnd = marks.teardown ?? Date.now();
        sampler.setInterval(200);
      }
    },
  };
  const remoteWrite = promUp ? `${prom.url}/api/v1/write` : null;
  const env = { ...k6Env, RUN_ID: runId };
  const run = startEngine(setup, { runId, env, remoteWrite, dir: setup.dir }, common);

  // Progress, and the ramp's brake: far past the knee there is nothing more to learn.
  const progress = setInterval(() => {
    const s = sampler.latest();
    const t0 = run.marks.setup;
    if (!s || !t0) return;
    const lagText = s.groups
      .map((g) => `${g.group} ${g.lag}${g.lagSeconds !== null ? ` (${g.lagSeconds.toFixed(1)} s)` : ""}`)
      .join(", ");
    say(`  t+${Math.round((Date.now() - t0) / 1000)}s  probes ${run.probes.length}  lag: ${lagText}`);
    const worst = Math.max(...s.groups.map((g) => g.lagSeconds ?? 0));
    if (scenario === "ramp" && worst > 30 && !state.stoppedEarly && state.loadEnd === null) {
      state.stoppedEarly = `stopped at t+${Math.round((Date.now() - t0) / 1000)}s: lag reached ${worst.toFixed(0)} s`;
      say(`  ${state.stoppedEarly}`);
      run.stop();
    }
  }, 5000);
  progress.unref();

  const { exitCode } = await run.done;
  clearInterval(progress);
  const loadStart = run.marks.setup ?? started.start;
  const stopAt: number = state.loadEnd ?? Date.now();
  say(`  load stopped; waiting for the consumers to drain...`);
  const drainedAt = await sampler.waitDrained(setup.drainTimeoutMs);
  // A couple more samples after the drain, for the chart.
  await new Promise((r) => setTimeout(r, 1000));
  await sampler.sample();
  await sampler.stop();
  cpu.stop();
  const firstZero = sampler.samples.find((s) => s.t >= stopAt && s.groups.every((g) => g.lag === 0));
  const drained = drainedAt === null ? null : (firstZero?.t ?? drainedAt);
  const drainSeconds = drained === null ? null : Math.max(0, (drained - stopAt) / 1000);
  return {
    run,
    exitCode,
    loadStart,
    loadEnd: stopAt,
    stoppedEarly: state.stoppedEarly,
    drained,
    drainSeconds,
  };
}
