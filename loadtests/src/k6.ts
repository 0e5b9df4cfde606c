/**
 * k6 as an engine, for people who bring their own (k6 is AGPL-3.0: the set-up never downloads
 * or builds it). Runs loadtests/scenarios/<scenario>.ts, which plans the scenario from the same
 * model as the native engine; metrics go to Prometheus by k6's remote write, tagged
 * engine="k6" and testid; the probe's samples and the marks come back as JSON console lines.
 */
import { spawn, execFileSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { EngineOptions, EngineRun, ProbeSample, RunMarks } from "./engine.ts";
import type { SummaryMetric } from "./native/recorder.ts";

export const k6Binary = (): string => process.env.K6_BIN ?? "k6";

function k6Version(): string {
  try {
    return execFileSync(k6Binary(), ["version"], { encoding: "utf8" }).split("\n")[0]!.trim();
  } catch {
    return "k6 (version unknown)";
  }
}

export interface K6Options extends EngineOptions {
  script: string;
  env: Record<string, string>;
  tags: Record<string, string>;
  /** Remote-write URL, or null to run without the Prometheus output. */
  remoteWrite: string | null;
  /** The report's folder: k6-summary.json and k6.log go there. */
  dir: string;
}

export function startK6(opts: K6Options): EngineRun {
  const summaryPath = join(opts.dir, "k6-summary.json");
  const args = ["run", "--log-format=json", "--quiet", "--no-usage-report"];
  for (const [k, v] of Object.entries({ ...opts.tags, engine: "k6" })) args.push("--tag", `${k}=${v}`);
  if (opts.remoteWrite) args.push("-o", "experimental-prometheus-rw");
  args.push(opts.script);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...opts.env,
    SUMMARY_PATH: summaryPath,
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
  opts.follow("k6", child.pid);
  const log = createWriteStream(join(opts.dir, "k6.log"));
  const probes: ProbeSample[] = [];
  const marks: RunMarks = {};
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
          const name = o.mark as keyof RunMarks;
          if (name === "setup" || name === "teardown") marks[name] = Number(o.t);
          else if (name === "steps") marks.steps = o as unknown as RunMarks["steps"];
          else if (name === "spike") marks.spike = o as unknown as RunMarks["spike"];
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
  const done = new Promise<{ exitCode: number }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      log.end();
      resolve({ exitCode: code ?? -1 });
    });
  });
  return {
    engine: "k6",
    version: k6Version(),
    probes,
    marks,
    warnings,
    stop: () => child.kill("SIGINT"),
    done,
    summary: async () => {
      try {
        return (JSON.parse(await readFile(summaryPath, "utf8")) as { metrics: Record<string, SummaryMetric> })
          .metrics;
      } catch {
        warnings.push("k6 wrote no summary");
        return {};
      }
    },
    windows: null,
    accepted: null,
    cpuSeconds: () => null,
    files: ["k6-summary.json", "k6.log"],
  };
}
