/**
 * The first stage of a run: what it will be (scenario, rate, duration, the scenario's knobs, SLOs,
 * engine) and whether it can be (the engine's tools found, the stack answering), then its id and
 * its report folder. Nothing is started before every check has passed.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { planFor, seconds, type ScenarioName, type ScenarioPlan } from "../../scenarios/lib/model.ts";
import { sloFor, type Slo } from "../../scenarios/lib/slo.ts";
import { chooseEngine, k6OnPath, type EngineName } from "../engine.ts";
import { vegetaAnswers, vegetaBinary } from "../native/vegeta.ts";
import type { RunOptions } from "./types.ts";

export { seconds };

export const repoRoot = resolve(import.meta.dirname, "..", "..", "..");

export const scenarioDefaults: Record<ScenarioName, { rate: number; duration: string; about: string }> = {
  smoke: { rate: 10, duration: "10s", about: "a little of everything, every flow once" },
  load: { rate: 200, duration: "30s", about: "constant arrival rate of user-activity events" },
  ramp: { rate: 0, duration: "", about: "stepped rates up to RAMP_MAX: the knee" },
  spike: { rate: 2000, duration: "", about: "base rate, a burst at RATE, back to base" },
  soak: { rate: 300, duration: "10m", about: "moderate rate for a long time" },
  flows: { rate: 20, duration: "30s", about: "order, task, customer lifecycles and sessions" },
  checkout: { rate: 4, duration: "30s", about: "orders through checkout only, run by the process manager" },
};

export const env = (name: string, fallback: string) => process.env[name] ?? fallback;

/** Where the stack keeps its run data (pid files under `run/`, reports): EVENTSCOPE_HOME, else the checkout's .eventscope. */
export const eventscopeHome = () => process.env.EVENTSCOPE_HOME ?? join(repoRoot, ".eventscope");

/** The stack's database: DATABASE_URL, else the native PostgreSQL of `make up`. */
export const databaseUrlOf = () =>
  env("DATABASE_URL", "postgres://eventscope:eventscope@127.0.0.1:55432/eventscope");

/** A run's settings once checked, read by every later stage. */
export interface RunSetup {
  scenario: ScenarioName;
  about: string;
  rate: number;
  duration: string;
  /** The unmeasured load before the run ("10s"), or null. */
  warmup: string | null;
  /** The scenario's environment (k6's, and the native engine's plan's). */
  k6Env: Record<string, string>;
  windowSeconds: number;
  slo: Slo;
  engine: EngineName;
  /** The plan with a placeholder run id: what the run needs of the stack (the process manager, the API key). */
  plan: ScenarioPlan;
  databaseUrl: string;
  home: string;
  runId: string;
  dir: string;
  quiet: boolean;
  drainTimeoutMs: number;
  say: (line: string) => void;
}

function newRunId(scenario: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `${stamp}-${scenario}-${randomBytes(2).toString("hex")}`;
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** The knobs a scenario reads from the caller's environment when the options do not set them. */
export function scenarioKnobs(given: Record<string, string> | undefined, environment: NodeJS.ProcessEnv) {
  const extra = { ...given };
  for (const k of Object.keys(environment)) {
    if (/^(SLO_|RAMP_|STEP_DURATION|SPIKE_|BASE_RATE|PROBE_|USERS|MAX_VUS)/.test(k) && !(k in extra)) {
      extra[k] = environment[k]!;
    }
  }
  return extra;
}

export function scenarioEnv(
  scenario: ScenarioName,
  rate: number,
  duration: string,
  extra: Record<string, string>,
) {
  const e: Record<string, string> = { SCENARIO: scenario, RATE: String(rate), DURATION: duration };
  let windowSeconds = Math.max(2, Math.ceil(seconds(duration) / 40));
  if (scenario === "ramp") windowSeconds = Math.max(3, seconds(extra.STEP_DURATION ?? "10s"));
  if (scenario === "spike") {
    windowSeconds = 2;
    e.SPIKE_RATE = extra.SPIKE_RATE ?? String(rate);
  }
  e.WINDOW_SECONDS = String(windowSeconds);
  return { env: { ...e, ...extra }, windowSeconds };
}

/** The run's parameters as the report shows them: the knobs, without what the report says elsewhere. */
export function runParams(setup: RunSetup): Record<string, string | number> {
  const { scenario, rate, duration, windowSeconds, k6Env } = setup;
  const params: Record<string, string | number> = {
    rate,
    duration,
    ...(setup.warmup ? { warmup: setup.warmup } : {}),
    windowSeconds,
    ...k6Env,
  };
  if (scenario === "ramp" || scenario === "spike") {
    delete params.rate;
    delete params.duration;
  }
  delete params.SCENARIO;
  delete params.RATE;
  delete params.DURATION;
  delete params.WINDOW_SECONDS;
  return params;
}

/**
 * The warm-up asked for, checked: a duration of at most 10 minutes, or nothing ("0s" too). A ramp
 * or a spike has no one rate to warm up at.
 */
export function warmupOf(scenario: ScenarioName, raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === "") return null;
  const text = raw.trim();
  const s = /^\d+(\.\d+)?(ms|s|m)?$/.test(text) ? seconds(text) : Number.NaN;
  if (!Number.isFinite(s) || s > 600)
    throw new Error(`warm-up "${raw}": expected a duration of at most 10m, such as 10s (or 0s for none)`);
  if (s === 0) return null;
  if (scenario === "ramp" || scenario === "spike")
    throw new Error(
      `a warm-up is for the constant-rate scenarios: ${scenario} has no one rate to warm up at`,
    );
  // A bare number is seconds, written with its unit: k6 takes no duration without one.
  return /\d$/.test(text) ? `${text}s` : text;
}

export async function prepareRun(opts: RunOptions): Promise<RunSetup> {
  const scenario = opts.scenario;
  if (!(scenario in scenarioDefaults)) throw new Error(`unknown scenario ${scenario}`);
  const defaults = scenarioDefaults[scenario];
  const rate = opts.rate ?? defaults.rate;
  const duration = opts.duration ?? defaults.duration;
  const warmup = warmupOf(scenario, opts.warmup);
  const extra = scenarioKnobs(opts.env, process.env);
  const { env: k6Env, windowSeconds } = scenarioEnv(scenario, rate, duration, extra);
  const slo = sloFor(scenario, k6Env);
  const engine = opts.engine ?? chooseEngine();
  if (engine === "k6" && !k6OnPath()) {
    throw new Error(
      "ENGINE=k6 but no k6 answers on the PATH (or K6_BIN): the set-up never installs k6 (AGPL-3.0); install your own, or use ENGINE=native",
    );
  }
  if (engine === "native" && !vegetaAnswers()) {
    throw new Error(
      `the native engine needs vegeta (${vegetaBinary()}): run \`make infra-up\` (infra/native/vegeta.sh)`,
    );
  }
  const quiet = opts.quiet ?? false;
  const say = (line: string) => {
    if (!quiet) process.stdout.write(line + "\n");
  };

  const producer = opts.producerUrl ?? env("PRODUCER_URL", "http://127.0.0.1:8081");
  if (!(await ready(`${producer}/health/ready`))) {
    throw new Error(`the producer at ${producer} is not ready: start the stack with \`make up\``);
  }
  // The checkout scenario's orders are run by the process manager: without it none would end.
  const plan = planFor(scenario, { ...k6Env, RUN_ID: "-" });
  if (plan.processManager && !(await ready(`${plan.processManager}/health/ready`))) {
    throw new Error(
      `the process manager at ${plan.processManager} is not ready: start the stack with \`make up\``,
    );
  }
  const databaseUrl = opts.databaseUrl ?? databaseUrlOf();
  const home = eventscopeHome();
  const runId = newRunId(scenario);
  const dir = join(opts.reportsRoot ?? join(home, "reports"), runId);
  await mkdir(dir, { recursive: true });
  return {
    scenario,
    about: defaults.about,
    rate,
    duration,
    warmup,
    k6Env,
    windowSeconds,
    slo,
    engine,
    plan,
    databaseUrl,
    home,
    runId,
    dir,
    quiet,
    drainTimeoutMs: opts.drainTimeoutMs ?? 120_000,
    say,
  };
}
