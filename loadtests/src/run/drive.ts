/**
 * The run itself: the samplers started before the load (consumer lag every second, the CPU of
 * the runner and the engine), the engine driving the plan, then the wait for every consumer
 * group to drain. A ramp far past its knee is stopped early: there is nothing more to learn.
 */
import { join } from "node:path";
import { planFor } from "../../scenarios/lib/model.ts";
import { CpuSampler } from "../cpu.ts";
import type { EngineRun } from "../engine.ts";
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

export async function startRun(setup: RunSetup): Promise<StartedRun> {
  const { scenario, plan, engine, say } = setup;
  const prom = new Prometheus();
  const promUp = await prom.ready();
  const fromPosition = await storeHead(setup.databaseUrl);
  const start = Date.now();
  const topicPrefix = process.env.TOPIC_PREFIX ?? "";
  // With the process manager in the run, its consumer's lag counts too (the drain waits for it).
  const groups = defaultGroups(topicPrefix);
  if (plan.processManager)
    groups.push({
      group: "process-manager",
      topic: `${topicPrefix}events.committed`,
      lagUrl: `${plan.processManager}/lag`,
    });
  const sampler = new LagSampler(groups);
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
  const run: EngineRun =
    setup.engine === "k6"
      ? startK6({
          ...common,
          script: join(repoRoot, "loadtests", "scenarios", `${scenario}.ts`),
          env: { ...k6Env, RUN_ID: runId },
          tags: { testid: runId },
          remoteWrite,
          dir: setup.dir,
        })
      : startNative(planFor(scenario, { ...k6Env, RUN_ID: runId }), { ...common, remoteWrite });

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
