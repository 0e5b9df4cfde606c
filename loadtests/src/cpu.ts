import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { JIT_SUFFIX, type NamedSeries, type Point } from "./model.ts";

/**
 * CPU per part of the stack, from /proc, every second: the services, Kafka, PostgreSQL (the
 * postmaster and all its backends), Prometheus, Jaeger, the load generator (k6, or vegeta's
 * attacks and the runner), the whole machine, and what is left ("other": anything else running
 * on the box, e.g. someone's tests). Percent of one core. For a part that is a JVM (Kafka) also
 * `<part> JIT`: its just-in-time compiler threads, a share of the part's figure, not beside it.
 */
const TICKS = 100; // USER_HZ on Linux

interface Totals {
  t: number;
  machine: number;
  idle: number;
  /** Per part, per root process: CPU ticks of it and its descendants. */
  parts: Map<string, Map<number, number>>;
  /** Per JVM part, per root process: CPU ticks of its JIT compiler threads (within `parts`). */
  jit: Map<string, Map<number, number>>;
}

/** HotSpot's compiler threads: "C1 CompilerThread0", "C2 CompilerThread1" (15 bytes of comm). */
const COMPILER_THREAD = /^C[12] CompilerThre/;

/**
 * A /proc stat line: the name (between the first "(" and the last ")", which may hold spaces and
 * parentheses), the parent and the CPU ticks (utime + stime).
 */
function parseStat(s: string): { comm: string; ppid: number; ticks: number } {
  const close = s.lastIndexOf(")");
  // fields after the name: state(0) ppid(1) ... utime(11) stime(12)
  const rest = s.slice(close + 2).split(" ");
  return {
    comm: s.slice(s.indexOf("(") + 1, close),
    ppid: Number(rest[1]),
    ticks: Number(rest[11]) + Number(rest[12]),
  };
}

/** Whether the process is a JVM (its comm is "java"); false when it is gone. */
export function isJvm(pid: number, root = "/proc"): boolean {
  try {
    return readFileSync(`${root}/${pid}/comm`, "utf8").trim() === "java";
  } catch {
    return false;
  }
}

/**
 * The CPU ticks of a JVM's JIT compiler threads, or undefined when it has no such thread (or is
 * gone). A broker's compiler threads take a large share of its CPU in its first minutes under
 * load (C2 compiled for 13 s of one core in the first 90 s at 200 events/s here), and almost
 * nothing once its hot code is compiled. Threads are listed afresh each time: HotSpot starts and
 * stops compiler threads as its queue grows and shrinks.
 */
export function jitTicks(pid: number, root = "/proc"): number | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`${root}/${pid}/task`);
  } catch {
    return undefined;
  }
  let ticks: number | undefined;
  for (const tid of tasks) {
    try {
      const t = parseStat(readFileSync(`${root}/${pid}/task/${tid}/stat`, "utf8"));
      if (COMPILER_THREAD.test(t.comm)) ticks = (ticks ?? 0) + t.ticks;
    } catch {
      /* the thread ended */
    }
  }
  return ticks;
}

/**
 * Ticks since the previous sample, over a part's root processes: a root without a baseline (a
 * restart) starts a new one, unless it is a followed process started since then (counted from zero).
 */
function ticksSince(
  now: Map<number, number>,
  before: Map<number, number> | undefined,
  countNew: boolean,
): number {
  let ticks = 0;
  for (const [root, t] of now) {
    const b = before?.get(root);
    if (b !== undefined) ticks += Math.max(0, t - b);
    else if (countNew) ticks += t;
  }
  return ticks;
}

/** A part's recorded pid (`<runDir>/<part>.pid`: the pid, then its start time), if any. */
export function partPid(runDir: string, part: string): number | undefined {
  try {
    const pid = Number(
      readFileSync(join(runDir, `${part}.pid`), "utf8")
        .trim()
        .split(/\s+/)[0],
    );
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined; // not running natively, or gone
  }
}

function readStat(pid: number): { ppid: number; ticks: number } | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

function machineTicks(): { busy: number; idle: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const all = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: all - idle, idle };
}

export class CpuSampler {
  private readonly runDir: string;
  private readonly extra = new Map<string, Set<number>>();
  private prev: Totals | null = null;
  private readonly jvms = new Map<number, boolean>();
  private timer: NodeJS.Timeout | null = null;
  readonly series = new Map<string, Point[]>();

  constructor(runDir: string) {
    this.runDir = runDir;
  }

  /**
   * Also follow this process (k6, a vegeta attack) under `name`; several processes may share a
   * name (one attack per stage): a process first seen after the previous sample counts from zero.
   */
  follow(name: string, pid: number | undefined): void {
    if (!pid) return;
    const set = this.extra.get(name) ?? new Set<number>();
    set.add(pid);
    this.extra.set(name, set);
  }

  start(intervalMs = 1000): void {
    try {
      this.prev = this.read();
    } catch {
      return; // no /proc: no CPU chart
    }
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  toSeries(): NamedSeries[] {
    const order = ["machine", "other", "k6", "vegeta", "runner"];
    return [...this.series]
      .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b))
      .map(([name, points]) => ({ name, points }));
  }

  private pids(): Map<number, string> {
    const out = new Map<number, string>();
    let files: string[] = [];
    try {
      files = readdirSync(this.runDir).filter((f) => f.endsWith(".pid"));
    } catch {
      /* not running natively */
    }
    for (const f of files) {
      const part = f.replace(/\.pid$/, "");
      const pid = partPid(this.runDir, part);
      if (pid !== undefined) out.set(pid, part);
    }
    for (const [name, set] of this.extra) for (const pid of set) out.set(pid, name);
    return out;
  }

  private read(): Totals {
    const roots = this.pids();
    const byPid = new Map<number, { ppid: number; ticks: number }>();
    for (const entry of readdirSync("/proc")) {
      const pid = Number(entry);
      if (!Number.isInteger(pid)) continue;
      const s = readStat(pid);
      if (s) byPid.set(pid, s);
    }
    // A part's CPU is its root process plus every descendant (PostgreSQL's backends, k6 none).
    const rootOf = (pid: number, depth = 0): number | undefined => {
      if (roots.has(pid)) return pid;
      if (depth > 6) return undefined;
      const s = byPid.get(pid);
      if (!s || s.ppid <= 1) return undefined;
      return rootOf(s.ppid, depth + 1);
    };
    const parts = new Map<string, Map<number, number>>();
    for (const [pid, s] of byPid) {
      const root = rootOf(pid);
      if (root === undefined) continue;
      const name = roots.get(root)!;
      const byRoot = parts.get(name) ?? new Map<number, number>();
      byRoot.set(root, (byRoot.get(root) ?? 0) + s.ticks);
      parts.set(name, byRoot);
    }
    const jit = new Map<string, Map<number, number>>();
    for (const [root, name] of roots) {
      // Whether a root is a JVM is asked once per pid, not every second.
      let jvm = this.jvms.get(root);
      if (jvm === undefined) this.jvms.set(root, (jvm = isJvm(root)));
      if (!jvm) continue;
      const ticks = jitTicks(root);
      if (ticks === undefined) continue;
      const byRoot = jit.get(name) ?? new Map<number, number>();
      byRoot.set(root, ticks);
      jit.set(name, byRoot);
    }
    const m = machineTicks();
    return { t: Date.now(), machine: m.busy, idle: m.idle, parts, jit };
  }

  private sample(): void {
    let now: Totals;
    try {
      now = this.read();
    } catch {
      return;
    }
    const prev = this.prev;
    this.prev = now;
    if (!prev) return;
    const dt = (now.t - prev.t) / 1000;
    if (dt <= 0) return;
    const pct = (ticks: number) => Math.max(0, (ticks / TICKS / dt) * 100);
    const push = (name: string, v: number) => {
      const s = this.series.get(name) ?? [];
      s.push([now.t, Math.round(v * 10) / 10]);
      this.series.set(name, s);
    };
    const machine = pct(now.machine - prev.machine);
    push("machine", machine);
    let known = 0;
    for (const [name, byRoot] of now.parts) {
      const before = prev.parts.get(name);
      const followed = this.extra.has(name);
      if (before === undefined && !followed) continue;
      const v = pct(ticksSince(byRoot, before, followed));
      known += v;
      push(name, v);
    }
    push("other", Math.max(0, machine - known));
    // Within the part's own figure: not added to what is known.
    for (const [name, byRoot] of now.jit) {
      const before = prev.jit.get(name);
      if (before !== undefined) push(name + JIT_SUFFIX, pct(ticksSince(byRoot, before, false)));
    }
  }
}
