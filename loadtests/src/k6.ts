import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** Where `make infra-up` (infra/native/k6.sh) builds k6; K6_BIN overrides. */
export function k6Binary(): string {
  if (process.env.K6_BIN) return process.env.K6_BIN;
  const cache = process.env.EVENTSCOPE_CACHE ?? join(homedir(), ".cache", "eventscope");
  const built = join(cache, "bin", "k6");
  return existsSync(built) ? built : "k6";
}

export interface ProbeSample {
  eventId: string;
  traceId: string | null;
  acceptedAt: number;
  stampedAt?: number | null;
  visibleAt: number;
  e2eMs: number;
  afterAckMs?: number;
  httpMs: number;
  seen: boolean;
  polls: number;
}

export interface K6Marks {
  setup?: number;
  teardown?: number;
  steps?: { rates: number[]; stepSeconds: number };
  spike?: { base: number; peak: number; spikeAt: number; spikeEnd: number };
}

export interface K6Run {
  child: ChildProcess;
  done: Promise<{ exitCode: number; signal: NodeJS.Signals | null }>;
  probes: ProbeSample[];
  marks: K6Marks;
  /** k6's own warnings and errors (e.g. "Insufficient VUs"), for the report. */
  warnings: string[];
}

export interface K6Options {
  script: string;
  env: Record<string, string>;
  tags: Record<string, string>;
  /** Remote-write URL, or null to run without the Prometheus output. */
  remoteWrite: string | null;
  logFile: string;
  onMark?: (name: keyof K6Marks, marks: K6Marks) => void;
  /** Echo k6's warnings to our stderr as they come. */
  echo?: boolean;
}

export function startK6(opts: K6Options): K6Run {
  const args = ["run", "--log-format=json", "--quiet", "--no-usage-report"];
  for (const [k, v] of Object.entries(opts.tags)) args.push("--tag", `${k}=${v}`);
  if (opts.remoteWrite) args.push("-o", "experimental-prometheus-rw");
  args.push(opts.script);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...opts.env,
    K6_NO_USAGE_REPORT: "true",
  };
  if (opts.remoteWrite) {
    Object.assign(env, {
      K6_PROMETHEUS_RW_SERVER_URL: opts.remoteWrite,
      K6_PROMETHEUS_RW_TREND_STATS: "p(50),p(95),p(99),max,count",
      K6_PROMETHEUS_RW_PUSH_INTERVAL: "2s",
    });
  }
  const child = spawn(k6Binary(), args, { env, stdio: ["ignore", "inherit", "pipe"] });
  const log = createWriteStream(opts.logFile);
  const probes: ProbeSample[] = [];
  const marks: K6Marks = {};
  const warnings: string[] = [];
  const lines = createInterface({ input: child.stderr });
  lines.on("line", (line) => {
    log.write(line + "\n");
    let entry: { level?: string; msg?: string; source?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      if (line.trim()) warnings.push(line.trim());
      return;
    }
    const msg = entry.msg ?? "";
    if (entry.source === "console" && msg.startsWith("{")) {
      try {
        const o = JSON.parse(msg) as Record<string, unknown>;
        if (o.probe === 1) {
          probes.push(o as unknown as ProbeSample);
        } else if (typeof o.mark === "string") {
          const name = o.mark as keyof K6Marks;
          if (name === "setup" || name === "teardown") marks[name] = Number(o.t);
          else if (name === "steps") marks.steps = o as unknown as K6Marks["steps"];
          else if (name === "spike") marks.spike = o as unknown as K6Marks["spike"];
          opts.onMark?.(name, marks);
        }
        return;
      } catch {
        /* an ordinary console line */
      }
    }
    // The runner reports crossed thresholds itself, with the figures.
    if (msg.startsWith("thresholds on metrics")) return;
    if (entry.level === "warning" || entry.level === "error") {
      const text = `k6 ${entry.level}: ${msg}`;
      if (!warnings.includes(text) && warnings.length < 50) warnings.push(text);
      if (opts.echo) process.stderr.write(text + "\n");
    }
  });
  const done = new Promise<{ exitCode: number; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      log.end();
      resolve({ exitCode: code ?? -1, signal });
    });
  });
  return { child, done, probes, marks, warnings };
}
