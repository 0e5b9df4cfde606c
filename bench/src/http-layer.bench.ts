// What the HTTP layer costs: the same route table on the router written on node:http (before
// express) and on express 5, each in a server process of its own, loaded from this process over
// keep-alive connections with two writes (a JSON body, API key, strict parsing) to one read.
// Figures: requests per second at saturation, and the server's CPU per request (process.cpuUsage)
// at saturation and at a fixed rate, with the latency at that rate. No telemetry SDK runs in the
// server (its cost is the instrumentations benchmark's): this is the layer alone.
import { fork, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { benchKey, layers, type Layer } from "./http-layer-server.ts";
import { median, renderTable } from "./stats.ts";
import type { Benchmark, BenchContext, BenchResult } from "./types.ts";

interface Server {
  port: number;
  child: ChildProcess;
  cpu(): Promise<number>;
}

const serverFile = fileURLToPath(new URL("./http-layer-server.ts", import.meta.url));

async function startServer(layer: Layer): Promise<Server> {
  const child = fork(serverFile, [layer], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m) => resolve((m as { port: number }).port));
    child.once("exit", (code) => reject(new Error(`${layer} server exited with ${code}`)));
  });
  const cpu = () =>
    new Promise<number>((resolve) => {
      child.once("message", (m) => {
        const { user, system } = (m as { cpu: NodeJS.CpuUsage }).cpu;
        resolve((user + system) / 1000);
      });
      child.send("cpu");
    });
  return { port, child, cpu };
}

const writeBody = JSON.stringify({
  userId: "user123",
  eventType: "login",
  metadata: { ipAddress: "192.168.1.1" },
});

/** One request of the mix (two writes, one read); resolves with its latency in ms, or -1 on a wrong answer. */
function call(port: number, agent: Agent, n: number): Promise<number> {
  const started = performance.now();
  const write = n % 3 !== 2;
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        agent,
        method: write ? "POST" : "GET",
        path: write ? "/api/events" : `/api/events/user/user${n % 100}?limit=10`,
        headers: write
          ? {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(writeBody),
              "x-api-key": benchKey,
            }
          : { "x-api-key": benchKey },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve(res.statusCode === (write ? 202 : 200) ? performance.now() - started : -1),
        );
      },
    );
    req.on("error", () => resolve(-1));
    req.end(write ? writeBody : undefined);
  });
}

interface Window {
  requests: number;
  errors: number;
  seconds: number;
  cpuMs: number;
  latencies: number[];
}

/** Closed loop: `concurrency` clients back to back for `ms`. */
async function saturate(server: Server, concurrency: number, ms: number): Promise<Window> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const cpu0 = await server.cpu();
  const started = performance.now();
  let n = 0;
  let errors = 0;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - started < ms) {
        const latency = await call(server.port, agent, n++);
        if (latency < 0) errors++;
        else latencies.push(latency);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = (await server.cpu()) - cpu0;
  agent.destroy();
  return { requests: latencies.length + errors, errors, seconds, cpuMs, latencies };
}

/** Open loop: `rate` requests a second for `ms`, sent every 10 ms whatever the answers. */
async function fixedRate(server: Server, rate: number, ms: number): Promise<Window> {
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const cpu0 = await server.cpu();
  const started = performance.now();
  const pending: Promise<number>[] = [];
  let sent = 0;
  while (performance.now() - started < ms) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (sent < due) pending.push(call(server.port, agent, sent++));
    await new Promise((r) => setTimeout(r, 10));
  }
  const results = await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = (await server.cpu()) - cpu0;
  agent.destroy();
  const latencies = results.filter((l) => l >= 0);
  return { requests: results.length, errors: results.length - latencies.length, seconds, cpuMs, latencies };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

interface Run {
  layer: Layer;
  saturationRps: number;
  saturationCpuUsPerRequest: number;
  rateCpuUsPerRequest: number;
  rateP50Ms: number;
  rateP99Ms: number;
  errors: number;
}

async function measure(layer: Layer, settings: Settings, ctx: BenchContext): Promise<Run> {
  const server = await startServer(layer);
  try {
    await saturate(server, settings.concurrency, settings.warmupMs);
    const sat = await saturate(server, settings.concurrency, settings.windowMs);
    const fixed = await fixedRate(server, settings.rate, settings.windowMs);
    const run: Run = {
      layer,
      saturationRps: sat.requests / sat.seconds,
      saturationCpuUsPerRequest: (sat.cpuMs * 1000) / sat.requests,
      rateCpuUsPerRequest: (fixed.cpuMs * 1000) / fixed.requests,
      rateP50Ms: percentile(fixed.latencies, 50),
      rateP99Ms: percentile(fixed.latencies, 99),
      errors: sat.errors + fixed.errors,
    };
    ctx.log(
      `  ${layer}: ${run.saturationRps.toFixed(0)} req/s at saturation (${run.saturationCpuUsPerRequest.toFixed(0)} µs CPU/request); ` +
        `${settings.rate}/s: ${run.rateCpuUsPerRequest.toFixed(0)} µs CPU/request, p50 ${run.rateP50Ms.toFixed(2)} ms, p99 ${run.rateP99Ms.toFixed(2)} ms; ${run.errors} errors`,
    );
    return run;
  } finally {
    server.child.send("stop");
    await new Promise((r) => server.child.once("exit", r));
  }
}

interface Settings {
  runs: number;
  concurrency: number;
  rate: number;
  warmupMs: number;
  windowMs: number;
}

function settingsFor(quick: boolean, env = process.env): Settings {
  return {
    runs: Number(env.RUNS ?? (quick ? 1 : 3)),
    concurrency: Number(env.HTTP_CONCURRENCY ?? 32),
    rate: Number(env.HTTP_RATE ?? 300),
    warmupMs: quick ? 500 : 2000,
    windowMs: Number(env.HTTP_WINDOW_MS ?? (quick ? 1500 : 5000)),
  };
}

export const benchmark: Benchmark = {
  name: "http-layer",
  description: "the HTTP layer: the node:http router before express against express 5, same route table",
  async run(ctx): Promise<BenchResult> {
    const settings = settingsFor(ctx.quick);
    const runs: Run[] = [];
    // Alternated, so that a busy moment of the shared machine falls on both.
    for (let i = 0; i < settings.runs; i++)
      for (const layer of layers) runs.push(await measure(layer, settings, ctx));
    const of = (layer: Layer, pick: (r: Run) => number) =>
      median(runs.filter((r) => r.layer === layer).map(pick));
    const columns: [string, (r: Run) => number, number][] = [
      ["req/s at saturation", (r) => r.saturationRps, 0],
      ["CPU µs/request at saturation", (r) => r.saturationCpuUsPerRequest, 0],
      [`CPU µs/request at ${settings.rate}/s`, (r) => r.rateCpuUsPerRequest, 0],
      [`p50 ms at ${settings.rate}/s`, (r) => r.rateP50Ms, 2],
      [`p99 ms at ${settings.rate}/s`, (r) => r.rateP99Ms, 2],
    ];
    const summary = Object.fromEntries(
      layers.map((layer) => [
        layer,
        Object.fromEntries(columns.map(([name, pick]) => [name, of(layer, pick)])),
      ]),
    );
    const rows = columns.map(([name, pick, digits]) => {
      const before = of("node-router", pick);
      const after = of("express", pick);
      return [
        name,
        before.toFixed(digits),
        after.toFixed(digits),
        `${(((after - before) / before) * 100).toFixed(0)}%`,
      ];
    });
    const report =
      `median of ${settings.runs} run(s) each; ${settings.concurrency} clients at saturation, ${settings.windowMs} ms windows; mix 2 writes : 1 read\n` +
      renderTable(["figure", "node:http router", "express 5", "change"], rows);
    return {
      name: this.name,
      description: this.description,
      config: {
        ...settings,
        routes: 32,
        mix: "2 POST /api/events (JSON, API key) : 1 GET /api/events/user/:userId",
      },
      report,
      data: { summary, runs },
    };
  },
};
