/**
 * The native engine: a plan's request mix on vegeta (one attack per constant-rate stage), its
 * flows and probe on the undici flow driver, every request recorded by one recorder whose
 * metrics go to Prometheus by remote write every 2 s, labelled engine="native", testid, scenario.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import type { ScenarioPlan } from "../../scenarios/lib/model.ts";
import type { EngineOptions, EngineRun, RunMarks } from "../engine.ts";
import type { Point } from "../model.ts";
import { attacksOf } from "./attacks.ts";
import { FlowDriver } from "./driver.ts";
import { LoadMetrics } from "./metrics.ts";
import { Recorder } from "./recorder.ts";
import { remoteWrite } from "./remote-write.ts";
import { runAttack, vegetaBinary, type AttackRun } from "./vegeta.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function versions(): string {
  // `go install` leaves the module's version in the binary's build info, not in `vegeta -version`.
  let vegeta = "vegeta";
  try {
    const out = execFileSync("go", ["version", "-m", vegetaBinary()], { encoding: "utf8", timeout: 5000 });
    const v = /^\s*mod\s+\S+\s+(v\S+)/m.exec(out)?.[1];
    if (v) vegeta = `vegeta ${v}`;
  } catch {
    /* no Go on the PATH: the version stays unnamed */
  }
  let undici: string;
  try {
    const pkg = join(import.meta.dirname, "..", "..", "..", "node_modules", "undici", "package.json");
    undici = ` + undici ${(JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version}`;
  } catch {
    undici = " + undici";
  }
  return `${vegeta}${undici}`;
}

export interface NativeOptions extends EngineOptions {
  /** Remote-write URL, or null when Prometheus does not answer. */
  remoteWrite: string | null;
}

export function startNative(plan: ScenarioPlan, o: NativeOptions): EngineRun {
  const metrics = new LoadMetrics({ engine: "native", testid: plan.runId });
  const recorder = new Recorder(plan, metrics);
  const driver = new FlowDriver(plan, recorder);
  const marks: RunMarks = {};
  const warnings: string[] = [];
  const attacks: AttackRun[] = [];
  const activityScenario = plan.scenario === "smoke" ? "activity" : plan.scenario;
  let engineCpu = 0;
  let stopped = false;
  const cpuAtStart = process.cpuUsage();
  let runnerCpu = 0;
  const timers: NodeJS.Timeout[] = [];

  // Every series from the start: a rate() needs a point before the first request.
  for (const s of [activityScenario, ...plan.flows.map((f) => f.flow), "probe"]) {
    metrics.declare("loadgen_dropped_requests_total", { scenario: s });
    metrics.declare("loadgen_late_requests_total", { scenario: s });
    metrics.declare("loadgen_http_request_errors_total", { scenario: s, kind: "write" });
  }
  let pushing = Promise.resolve();
  const push = () => {
    if (!o.remoteWrite) return pushing;
    const url = o.remoteWrite;
    pushing = pushing
      .then(() => remoteWrite(url, metrics.snapshot(Date.now())))
      .catch((e: unknown) => {
        const text = `remote write failed: ${e instanceof Error ? e.message : String(e)}`;
        if (!warnings.includes(text)) warnings.push(text);
      });
    return pushing;
  };

  const run = async (): Promise<{ exitCode: number }> => {
    if (plan.steps) marks.steps = plan.steps;
    if (plan.spike) marks.spike = plan.spike;
    await push();
    const t0 = Date.now();
    recorder.t0 = t0;
    marks.setup = t0;
    o.onMark?.("setup", marks);
    const pushTimer = setInterval(() => void push(), 2000);
    const jobs: Promise<unknown>[] = [];

    if (plan.activity) {
      for (const [i, a] of attacksOf(plan.activity.arrival).entries()) {
        jobs.push(
          new Promise<void>((resolve) => {
            const begin = () => {
              if (stopped) return resolve();
              const run = runAttack(i, a, {
                plan,
                recorder,
                scenario: activityScenario,
                warnings,
                onCpu: (s) => (engineCpu += s),
                onStart: (child) => o.follow("vegeta", child.pid),
              });
              attacks.push(run);
              void run.done.then(resolve);
            };
            const wait = t0 + a.at * 1000 - Date.now();
            if (wait <= 0) begin();
            else timers.push(setTimeout(begin, wait));
          }),
        );
      }
    }
    for (const f of plan.flows) {
      if (f.arrival) jobs.push(driver.arrive(f.flow, f.arrival, t0, () => driver.flow(f.flow, f.awaitMs)));
      else driver.once(f.flow, () => driver.flow(f.flow, f.awaitMs));
    }
    jobs.push(
      driver.arrive(
        "probe",
        { startRate: plan.probe.rate, stages: [{ target: plan.probe.rate, seconds: plan.probe.seconds }] },
        t0,
        () => driver.probe(),
      ),
    );
    await Promise.all(jobs);
    await driver.settle();
    marks.teardown = Date.now();
    o.onMark?.("teardown", marks);
    clearInterval(pushTimer);
    const used = process.cpuUsage(cpuAtStart);
    runnerCpu = (used.user + used.system) / 1e6;
    await driver.close();
    for (const [why, n] of driver.errors) warnings.push(`flow driver: ${n} ${why}`);
    // The last counts, then one more point after them so the final rate() sees the end.
    await push();
    await sleep(1000);
    await push();
    return { exitCode: 0 };
  };

  const done = run().catch((e: unknown) => {
    warnings.push(`native engine: ${e instanceof Error ? e.message : String(e)}`);
    return { exitCode: 1 };
  });

  return {
    engine: "native",
    version: versions(),
    probes: driver.probes,
    marks,
    warnings,
    stop: () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      driver.stop();
      for (const a of attacks) a.stop();
    },
    done,
    summary: async () => recorder.summary(),
    get windows() {
      return recorder.windowStats();
    },
    get accepted(): Point[] {
      return [...recorder.acceptedPerSecond]
        .sort((a, b) => a[0] - b[0])
        .map(([sec, n]): Point => [sec * 1000 + 500, n]);
    },
    cpuSeconds: () => ({ engine: engineCpu, runner: runnerCpu }),
    files: ["summary.json"],
  };
}
