/**
 * The request mix on vegeta (MIT): one `vegeta attack` per constant-rate attack of the plan
 * (attacks.ts), each started on schedule (the next one does not wait for the previous one's
 * last answers), with its own targets on stdin (-lazy, JSON targets with a base64 body: every
 * event its own ids and body) and its results as JSON lines (`vegeta encode`). Each attack runs
 * in a small shell that prints its CPU once both vegeta processes have ended (the shell's
 * cutime/cstime), so the generator's CPU per request is exact.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { activityBody, type ScenarioPlan } from "../../scenarios/lib/model.ts";
import { expectedHits, vegetaRate, type Attack } from "./attacks.ts";
import type { Recorder } from "./recorder.ts";

/** Where `infra/native.sh up` (infra/native/vegeta.sh) installs vegeta; VEGETA_BIN overrides. */
export function vegetaBinary(): string {
  if (process.env.VEGETA_BIN) return process.env.VEGETA_BIN;
  const cache = process.env.EVENTSCOPE_CACHE ?? join(homedir(), ".cache", "eventscope");
  const built = join(cache, "bin", "vegeta");
  return existsSync(built) ? built : "vegeta";
}

export function vegetaAnswers(): boolean {
  try {
    execFileSync(vegetaBinary(), ["-version"], { stdio: "ignore", timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** A request counts as late when vegeta sent it this long after its slot (its workers all busy). */
export const LATE_MS = 10;
const TICKS = 100;

// $0 = vegeta; then the attack's flags. Fields 16 and 17 of /proc/self/stat: reaped children's CPU.
const wrapper = `"$0" attack "$@" | "$0" encode --to json
read -r _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ cu cs _ < /proc/$$/stat
echo "{\\"cpuTicks\\":$((cu + cs))}"`;

interface VegetaResult {
  attack: string;
  seq: number;
  code: number;
  timestamp: string;
  latency: number;
  bytes_out: number;
  bytes_in: number;
  error: string;
}

export interface AttackRun {
  attack: Attack;
  child: ChildProcess;
  done: Promise<void>;
  /** Ends the attack now (SIGINT to its process group: vegeta reports what it sent). */
  stop: () => void;
}

export interface VegetaOptions {
  plan: ScenarioPlan;
  recorder: Recorder;
  /** The scenario label of these requests (k6's scenario name). */
  scenario: string;
  warnings: string[];
  /** CPU ticks of finished attacks, added up. */
  onCpu: (seconds: number) => void;
  onStart?: (child: ChildProcess) => void;
}

/** Runs one attack: targets in, results out, until vegeta has sent its last request and heard back. */
export function runAttack(index: number, attack: Attack, o: VegetaOptions): AttackRun {
  const { plan, recorder } = o;
  const mix = plan.activity!.mix;
  const args = [
    "-c",
    wrapper,
    vegetaBinary(),
    "-lazy",
    "-format=json",
    `-rate=${vegetaRate(attack.rate)}`,
    `-duration=${Math.round(attack.seconds * 1000)}ms`,
    "-timeout=10s",
    `-workers=${Math.min(plan.maxInFlight, Math.max(10, Math.ceil(attack.rate / 50)))}`,
    `-max-workers=${plan.maxInFlight}`,
    "-max-body=0",
    `-name=${index}`,
  ];
  const child = spawn("sh", args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
  o.onStart?.(child);
  const url = plan.producer + mix.path;
  const header = { "Content-Type": ["application/json"], "X-Api-Key": [plan.apiKey] };
  // Targets, written as vegeta asks for them (the pipe's backpressure), a few past the count.
  const wanted = expectedHits(attack) + 50;
  let written = 0;
  const feed = () => {
    while (written < wanted) {
      const lines: string[] = [];
      for (let i = 0; i < 200 && written < wanted; i++, written++) {
        const body = Buffer.from(JSON.stringify(activityBody(plan, mix, Math.random(), Math.random())));
        lines.push(JSON.stringify({ method: "POST", url, header, body: body.toString("base64") }));
      }
      if (!child.stdin.write(lines.join("\n") + "\n")) return;
    }
    child.stdin.end();
  };
  child.stdin.on("drain", feed);
  child.stdin.on("error", () => undefined); // vegeta stops reading at its duration's end
  feed();

  let sent = 0;
  const errors = new Map<string, number>();
  let origin = Infinity;
  const slot = 1000 / attack.rate;
  const out = createInterface({ input: child.stdout });
  out.on("line", (line) => {
    if (line.startsWith('{"cpuTicks"')) {
      o.onCpu(Number((JSON.parse(line) as { cpuTicks: number }).cpuTicks) / TICKS);
      return;
    }
    let r: VegetaResult;
    try {
      r = JSON.parse(line) as VegetaResult;
    } catch {
      return;
    }
    if (r.error === "no targets to attack") return;
    sent++;
    if (r.error) {
      // "Post ...: dial tcp ...: connect: ..." -> what went wrong, without the URL.
      const why = r.error.replace(/^\w+ "[^"]*": /, "");
      errors.set(why, (errors.get(why) ?? 0) + 1);
    }
    const at = Date.parse(r.timestamp);
    // The schedule's origin: the earliest slot any request was sent in; late = sent after its slot.
    const offset = at - r.seq * slot;
    if (offset < origin) origin = offset;
    if (offset - origin > LATE_MS) {
      recorder.lateRequests(o.scenario, 1);
    }
    recorder.record({
      scenario: o.scenario,
      name: mix.name,
      kind: "write",
      status: r.code,
      ms: r.latency / 1e6,
      at,
      bytesIn: r.bytes_in,
      bytesOut: r.bytes_out,
    });
  });
  const err = createInterface({ input: child.stderr });
  err.on("line", (line) => {
    const text = `vegeta: ${line.trim()}`;
    if (line.trim() && !o.warnings.includes(text) && o.warnings.length < 50) o.warnings.push(text);
  });
  const startedAt = Date.now();
  let stoppedAt: number | null = null;
  const done = new Promise<void>((resolve) => {
    child.on("close", () => {
      // Stopped early (the ramp's brake): only the slots until then were due.
      const due =
        stoppedAt === null
          ? expectedHits(attack)
          : Math.min(expectedHits(attack), Math.round((attack.rate * (stoppedAt - startedAt)) / 1000));
      recorder.droppedRequests(o.scenario, due - sent);
      for (const [why, n] of [...errors].sort((a, b) => b[1] - a[1]).slice(0, 3)) {
        if (o.warnings.length < 50) o.warnings.push(`vegeta attack ${index}: ${n} requests failed: ${why}`);
      }
      resolve();
    });
    child.on("error", (e) => {
      o.warnings.push(`vegeta could not start: ${e.message}`);
      resolve();
    });
  });
  const stop = () => {
    stoppedAt = Date.now();
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGINT");
    } catch {
      /* already gone */
    }
  };
  return { attack, child, done, stop };
}
