// What one request through the producer costs: the producer as a real process (its main.ts, the
// instrumentation hook, API keys on) on topics of its own, loaded from this process over keep-alive
// connections with the write mix clients send (single events, batches of 10, seed routes with an
// Idempotency-Key). Figures: the producer's CPU per request and per event from /proc/<pid>/stat
// at an open 300/s and at saturation (a closed loop), telemetry off and on, with the latency.
// BASELINE=<git revision> also runs that revision's producer (exported under .eventscope/bench),
// alternating with this checkout's, so before and after come from the same run; with
// BASELINE_PATHS=<path,...> the baseline is HEAD with only those paths as of that revision (one
// change measured apart from what others landed meanwhile). PRODUCER_VARIANTS=name:VAR=value+VAR=value,...
// adds this checkout's producer with those settings (e.g. linger:PUBLISH_LINGER_MS=1), alternated too.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { createTopics, deleteTopics, freePort, repoRoot, uniqueName, waitFor } from "@eventscope/testkit";
import { median, renderTable } from "./stats.ts";
import type { Benchmark, BenchContext, BenchResult } from "./types.ts";

const key = "bench-producer-key";
const ticksPerSecond = 100; // USER_HZ on Linux

interface Settings {
  runs: number;
  rate: number;
  concurrency: number;
  warmupMs: number;
  windowMs: number;
  baseline: string | undefined;
  baselinePaths: string[];
}

function settingsFor(quick: boolean, env = process.env): Settings {
  return {
    runs: Number(env.RUNS ?? (quick ? 1 : 3)),
    rate: Number(env.PRODUCER_RATE ?? 300),
    concurrency: Number(env.PRODUCER_CONCURRENCY ?? 16),
    warmupMs: quick ? 1000 : 2000,
    windowMs: Number(env.PRODUCER_WINDOW_MS ?? (quick ? 3000 : 8000)),
    baseline: env.BASELINE || undefined,
    baselinePaths: (env.BASELINE_PATHS ?? "").split(",").filter(Boolean),
  };
}

/** A tree the producer runs from: this checkout, or a revision exported beside it. */
interface Tree {
  name: string;
  root: string;
  /** Settings of this producer beside the benchmark's own. */
  env?: Record<string, string>;
}

/** `name:VAR=value+VAR=value,...` as trees of this checkout with those settings. */
const variantsOf = (raw: string): Tree[] =>
  raw
    .split(",")
    .filter(Boolean)
    .map((entry) => {
      const [name, settings = ""] = entry.split(":");
      const env = Object.fromEntries(settings.split("+").map((kv) => kv.split("=") as [string, string]));
      return { name: `this checkout, ${name}`, root: repoRoot, env };
    });

/**
 * `git archive` of the revision, with a node_modules of links: the third-party packages are this
 * checkout's, the workspace links (relative) point into the exported tree.
 */
function exportRevision(revision: string, paths: string[]): Tree {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repoRoot, encoding: "utf8" }).trim();
  const commit = git("rev-parse", revision);
  const head = paths.length > 0 ? git("rev-parse", "HEAD") : commit;
  const name = paths.length > 0 ? `${head.slice(0, 12)}-with-${commit.slice(0, 12)}` : commit.slice(0, 12);
  const root = join(repoRoot, ".eventscope", "bench", `baseline-${name}`);
  if (!existsSync(join(root, "services"))) {
    mkdirSync(root, { recursive: true });
    execFileSync("sh", ["-c", `git archive ${head} | tar -x -C "${root}"`], { cwd: repoRoot });
    if (paths.length > 0)
      execFileSync("sh", ["-c", `git archive ${commit} -- ${paths.join(" ")} | tar -x -C "${root}"`], {
        cwd: repoRoot,
      });
    const modules = join(root, "node_modules");
    mkdirSync(modules, { recursive: true });
    for (const entry of readdirSync(join(repoRoot, "node_modules"))) {
      if (entry === "@eventscope" || entry === ".bin") continue;
      symlinkSync(join(repoRoot, "node_modules", entry), join(modules, entry));
    }
    mkdirSync(join(modules, "@eventscope"));
    for (const entry of readdirSync(join(repoRoot, "node_modules", "@eventscope")))
      symlinkSync(join("..", "..", linkTarget(entry)), join(modules, "@eventscope", entry));
    for (const pkg of ["packages/platform", "packages/contracts"]) {
      const own = join(repoRoot, pkg, "node_modules");
      if (!existsSync(own)) continue;
      mkdirSync(join(root, pkg, "node_modules"), { recursive: true });
      for (const entry of readdirSync(own))
        symlinkSync(join(own, entry), join(root, pkg, "node_modules", entry));
    }
  }
  return {
    name: paths.length > 0 ? `before (${commit.slice(0, 8)}'s paths)` : `before (${commit.slice(0, 8)})`,
    root,
  };
}

const linkTarget = (entry: string): string =>
  execFileSync("readlink", [join(repoRoot, "node_modules", "@eventscope", entry)], { encoding: "utf8" })
    .trim()
    .replace(/^(\.\.\/)+/, "");

interface Producer {
  port: number;
  child: ChildProcess;
  /** CPU seconds the process used so far (user + system). */
  cpu(): number;
  stop(): Promise<void>;
}

async function startProducer(tree: Tree, prefix: string, telemetry: boolean): Promise<Producer> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: String(port),
    TOPIC_PREFIX: prefix,
    API_KEYS: key,
    LOG_LEVEL: "warn",
    IDEMPOTENCY_LOOKUP_TIMEOUT_MS: "0",
    OTEL_SERVICE_NAME: "bench-producer",
    ...tree.env,
  };
  delete env.OTEL_SDK_DISABLED;
  if (!telemetry) env.OTEL_SDK_DISABLED = "true";
  const hook = join(tree.root, "packages", "platform", "src", "instrument.ts");
  // PRODUCER_PROFILE=<dir>: a V8 CPU profile of each producer process, written there on exit.
  const profile = process.env.PRODUCER_PROFILE
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PRODUCER_PROFILE}`]
    : [];
  const child = spawn(
    process.execPath,
    [...profile, "--import", hook, join(tree.root, "services", "producer", "src", "main.ts")],
    {
      cwd: tree.root,
      env,
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const pid = child.pid!;
  await waitFor(
    async () =>
      child.exitCode === null && (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200,
    60_000,
    "the producer to be ready",
  );
  const cpu = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return { port, child, cpu, stop };
}

interface Call {
  method: string;
  path: string;
  body: string;
  events: number;
  headers: Record<string, string>;
}

const single = (n: number) =>
  JSON.stringify({ userId: `user${n % 500}`, eventType: "login", metadata: { ipAddress: "192.168.1.1" } });
const batch = (n: number) =>
  JSON.stringify({
    events: Array.from({ length: 10 }, (_, i) => ({
      aggregateType: "Task",
      aggregateId: `task-${n}-${i}`,
      eventType: "TaskCreated",
      data: { title: `task ${i} of request ${n}`, description: "from the producer benchmark" },
    })),
  });
const customer = (n: number) => JSON.stringify({ name: `Customer ${n}`, email: `c${n}@example.com` });

/** The n-th request of the mix: 7 single events, 1 batch of 10, 2 seed customers, per 10. */
function callOf(n: number, run: string): Call {
  const slot = n % 10;
  const base = { "content-type": "application/json", "x-api-key": key };
  if (slot === 3)
    return { method: "POST", path: "/api/events/batch", body: batch(n), events: 10, headers: base };
  if (slot === 6 || slot === 9)
    return {
      method: "POST",
      path: "/customer",
      body: customer(n),
      events: 1,
      headers: { ...base, "idempotency-key": `${run}-${n}` },
    };
  return { method: "POST", path: "/api/events", body: single(n), events: 1, headers: base };
}

/** Sends one call; resolves with its latency in ms, or -1 for anything but a 202. */
function send(port: number, agent: Agent, call: Call): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        agent,
        method: call.method,
        path: call.path,
        headers: { ...call.headers, "content-length": String(Buffer.byteLength(call.body)) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 202 ? performance.now() - started : -1));
      },
    );
    req.on("error", () => resolve(-1));
    req.end(call.body);
  });
}

interface Window {
  requests: number;
  events: number;
  errors: number;
  seconds: number;
  cpuSeconds: number;
  latencies: number[];
}

async function load(
  producer: Producer,
  ms: number,
  shape: { rate: number } | { concurrency: number },
  run: string,
): Promise<Window> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const cpu0 = producer.cpu();
  const started = performance.now();
  const results: Promise<number>[] = [];
  let n = 0;
  let events = 0;
  const next = () => {
    const call = callOf(n++, run);
    events += call.events;
    return send(producer.port, agent, call);
  };
  if ("rate" in shape) {
    // Open: requests are sent on schedule whatever the answers.
    while (performance.now() - started < ms) {
      const due = Math.floor(((performance.now() - started) / 1000) * shape.rate);
      while (n < due) results.push(next());
      await new Promise((r) => setTimeout(r, 5));
    }
  } else {
    await Promise.all(
      Array.from({ length: shape.concurrency }, async () => {
        while (performance.now() - started < ms) {
          const latency = next();
          results.push(latency);
          await latency;
        }
      }),
    );
  }
  const settled = await Promise.all(results);
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = producer.cpu() - cpu0;
  agent.destroy();
  const latencies = settled.filter((l) => l >= 0);
  return {
    requests: settled.length,
    events,
    errors: settled.length - latencies.length,
    seconds,
    cpuSeconds,
    latencies,
  };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

interface Run {
  tree: string;
  telemetry: boolean;
  rateCpuUsPerRequest: number;
  rateCpuUsPerEvent: number;
  rateCores: number;
  rateP50Ms: number;
  rateP99Ms: number;
  saturationRps: number;
  saturationCpuUsPerRequest: number;
  saturationP99Ms: number;
  errors: number;
}

async function measure(
  tree: Tree,
  telemetry: boolean,
  prefix: string,
  settings: Settings,
  ctx: BenchContext,
) {
  const producer = await startProducer(tree, prefix, telemetry);
  const run = uniqueName("run");
  try {
    await load(producer, settings.warmupMs, { concurrency: settings.concurrency }, `${run}-w`);
    const open = await load(producer, settings.windowMs, { rate: settings.rate }, `${run}-o`);
    const closed = await load(producer, settings.windowMs, { concurrency: settings.concurrency }, `${run}-c`);
    const result: Run = {
      tree: tree.name,
      telemetry,
      rateCpuUsPerRequest: (open.cpuSeconds * 1e6) / open.requests,
      rateCpuUsPerEvent: (open.cpuSeconds * 1e6) / open.events,
      rateCores: open.cpuSeconds / open.seconds,
      rateP50Ms: percentile(open.latencies, 50),
      rateP99Ms: percentile(open.latencies, 99),
      saturationRps: closed.requests / closed.seconds,
      saturationCpuUsPerRequest: (closed.cpuSeconds * 1e6) / closed.requests,
      saturationP99Ms: percentile(closed.latencies, 99),
      errors: open.errors + closed.errors,
    };
    ctx.log(
      `  ${tree.name}, telemetry ${telemetry ? "on" : "off"}: ${settings.rate}/s ${result.rateCpuUsPerRequest.toFixed(0)} µs CPU/request ` +
        `(p50 ${result.rateP50Ms.toFixed(1)} ms, p99 ${result.rateP99Ms.toFixed(1)} ms); saturation ${result.saturationRps.toFixed(0)} req/s, ` +
        `${result.saturationCpuUsPerRequest.toFixed(0)} µs CPU/request; ${result.errors} errors`,
    );
    return result;
  } finally {
    await producer.stop();
  }
}

export const benchmark: Benchmark = {
  name: "producer-cost",
  description: "the producer's CPU per request (single, batch of 10, seed route) at 300/s and at saturation",
  async run(ctx): Promise<BenchResult> {
    const settings = settingsFor(ctx.quick);
    const trees: Tree[] = [
      ...(settings.baseline ? [exportRevision(settings.baseline, settings.baselinePaths)] : []),
      { name: "this checkout", root: repoRoot },
      ...variantsOf(process.env.PRODUCER_VARIANTS ?? ""),
    ];
    const prefix = `${uniqueName("bench_producer")}.`;
    const topics = await createTopics(prefix, 3);
    const unregister = ctx.onInterrupt(() => deleteTopics(topics));
    const runs: Run[] = [];
    try {
      // Alternated (trees within each state, states in turn), so a busy moment falls on all.
      for (let i = 0; i < settings.runs; i++)
        for (const telemetry of i % 2 === 0 ? [false, true] : [true, false])
          for (const tree of i % 2 === 0 ? trees : [...trees].reverse())
            runs.push(await measure(tree, telemetry, prefix, settings, ctx));
    } finally {
      unregister();
      await deleteTopics(topics);
    }
    const columns: [string, (r: Run) => number, number][] = [
      [`CPU µs/request at ${settings.rate}/s`, (r) => r.rateCpuUsPerRequest, 0],
      [`CPU µs/event at ${settings.rate}/s`, (r) => r.rateCpuUsPerEvent, 0],
      [`cores at ${settings.rate}/s`, (r) => r.rateCores, 3],
      ["p50 ms", (r) => r.rateP50Ms, 2],
      ["p99 ms", (r) => r.rateP99Ms, 2],
      ["req/s at saturation", (r) => r.saturationRps, 0],
      ["CPU µs/request at saturation", (r) => r.saturationCpuUsPerRequest, 0],
      ["p99 ms at saturation", (r) => r.saturationP99Ms, 1],
    ];
    const rows: string[][] = [];
    for (const telemetry of [false, true])
      for (const tree of trees) {
        const mine = runs.filter((r) => r.tree === tree.name && r.telemetry === telemetry);
        rows.push([
          `${tree.name}, telemetry ${telemetry ? "on" : "off"}`,
          ...columns.map(([, pick, digits]) => median(mine.map(pick)).toFixed(digits)),
        ]);
      }
    const report = [
      renderTable(["producer", ...columns.map(([name]) => name)], rows),
      `medians of ${settings.runs} run(s) each, ${settings.windowMs / 1000} s windows, ${settings.concurrency} clients at saturation; ` +
        `the mix per 10 requests: 7 single events, 1 batch of 10, 2 POST /customer with an Idempotency-Key`,
    ].join("\n");
    return {
      name: "producer-cost",
      description: benchmark.description,
      config: { ...settings },
      report,
      data: { runs },
    };
  },
};
