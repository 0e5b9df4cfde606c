// Runs the benchmarks of src/*.bench.ts, prints their progress and tables, and writes
// bench/results/latest.json plus a dated copy. BENCH=<name>[,<name>] picks benchmarks
// (a part of the name is enough); QUICK=1 is a smoke check with few events and one run.
import { execFileSync } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "prettier";
import { machine } from "./machine.ts";
import { serverInfo } from "./append/systems.ts";
import type { Benchmark, BenchResult } from "./types.ts";

const here = fileURLToPath(new URL(".", import.meta.url));

const connectionString =
  process.env.DATABASE_URL ?? "postgres://eventscope:eventscope@127.0.0.1:55432/eventscope";
const quick = process.env.QUICK === "1" || process.env.QUICK === "true";
const filter = (process.env.BENCH ?? "")
  .split(",")
  .map((f) => f.trim())
  .filter(Boolean);

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Which code was measured: the commit, and the measured sources that differ from it. */
function gitState(): { commit: string; modified: string[] } {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: here, encoding: "utf8" }).trim();
  try {
    const modified = git(
      "status",
      "--porcelain",
      "--",
      "../../services/event-store/src",
      "../../packages/platform/src",
    );
    return {
      commit: git("rev-parse", "HEAD"),
      modified: modified ? modified.split("\n").map((l) => l.trim()) : [],
    };
  } catch {
    return { commit: "unknown", modified: [] };
  }
}

async function discover(): Promise<Benchmark[]> {
  const files = (await readdir(here)).filter((f) => f.endsWith(".bench.ts")).sort();
  const found: Benchmark[] = [];
  for (const file of files) {
    const name = basename(file, ".bench.ts");
    if (filter.length > 0 && !filter.some((f) => name.includes(f))) continue;
    const module = (await import(join(here, file))) as { benchmark?: Benchmark };
    if (!module.benchmark) throw new Error(`${file} exports no \`benchmark\``);
    found.push(module.benchmark);
  }
  return found;
}

const interrupts = new Set<() => Promise<void>>();
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`\n${signal}: cleaning up (drop the benchmark schemas and databases)...`);
    void Promise.allSettled([...interrupts].map((c) => c())).then(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const benchmarks = await discover();
  if (benchmarks.length === 0) {
    log(`no benchmark matches BENCH=${process.env.BENCH ?? ""}`);
    process.exitCode = 2;
    return;
  }
  const date = new Date();
  const host = machine();
  const postgres = await serverInfo(connectionString);
  const git = gitState();
  log(
    `bench: ${benchmarks.map((b) => b.name).join(", ")}${quick ? " (QUICK=1: smoke check, 1 run, few events)" : ""}`,
  );
  log(
    `machine: ${host.nproc} CPUs (${host.cpuModel}), ${host.memoryMiB} MiB, Node ${host.node}, PostgreSQL ${postgres.server_version}, load ${host.loadAverage.join(" ")}`,
  );
  log(
    `code: ${git.commit.slice(0, 12)}${git.modified.length > 0 ? ` + uncommitted changes to ${git.modified.join(", ")}` : ""}`,
  );
  const results: BenchResult[] = [];
  for (const benchmark of benchmarks) {
    log(`\n== ${benchmark.name}: ${benchmark.description}`);
    const started = performance.now();
    const result = await benchmark.run({
      quick,
      connectionString,
      log,
      onInterrupt(cleanup) {
        interrupts.add(cleanup);
        return () => interrupts.delete(cleanup);
      },
    });
    results.push(result);
    log(`\n== ${benchmark.name} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    log(result.report);
  }
  const file = {
    date: date.toISOString(),
    quick,
    filter: filter.length > 0 ? filter : undefined,
    machine: { ...host, postgres },
    git,
    note: "Shared, noisy 2-core VM: compare only figures of the same run (see INFRA-NOTES).",
    benchmarks: results,
  };
  // A smoke check never replaces the figures of a full run: it goes to the ignored .eventscope.
  const resultsDir =
    process.env.RESULTS_DIR ??
    (quick
      ? join(
          process.env.EVENTSCOPE_HOME ?? fileURLToPath(new URL("../../.eventscope/", import.meta.url)),
          "bench",
        )
      : fileURLToPath(new URL("../results/", import.meta.url)));
  await mkdir(resultsDir, { recursive: true });
  // Formatted as the repository's Prettier check expects.
  const json = await format(JSON.stringify(file), { parser: "json" });
  const dated = join(
    resultsDir,
    `${date
      .toISOString()
      .replaceAll(":", "-")
      .replace(/\.\d+Z$/, "Z")}.json`,
  );
  await writeFile(join(resultsDir, "latest.json"), json);
  await writeFile(dated, json);
  log(`\nresults: ${join(resultsDir, "latest.json")} and ${dated}`);
}

await main();
