// What a span costs to export, on both sides of the wire: the exporting Node process (the
// platform's telemetry: the SDK, the batch processor, the OTLP exporter) and Jaeger receiving and
// storing it, for each trace protocol the services can send (OTLP/HTTP with JSON or protobuf).
// Each run is a process of its own (span-export/emit.ts) making SPAN_EXPORT_EVENTS (1,000) events'
// traces a second for SPAN_EXPORT_SECONDS (10 s), four spans each (the producer's server span
// and three consumer spans, their attributes as the services set them), then its last export;
// Jaeger's CPU is read from /proc over the same window, less its idle CPU measured just before
// for 3 s. Protocols alternate (json, protobuf, protobuf, json, ...), SPAN_EXPORT_RUNS (3;
// QUICK 1) of each; medians. Figures, not a test: BENCH=span-export make bench
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { median } from "./stats.ts";
import { processCpuMs } from "./consumer/process.ts";
import { partPid, runDir } from "./pipeline/stack.ts";
import type { Benchmark, BenchResult } from "./types.ts";

const description =
  "span export: CPU per span in the exporting process and in Jaeger, OTLP/HTTP JSON against protobuf";
const protocols = ["http/json", "http/protobuf"] as const;
type Protocol = (typeof protocols)[number];
const emitter = fileURLToPath(new URL("./span-export/emit.ts", import.meta.url));
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "http://127.0.0.1:4318";
const IDLE_SECONDS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Jaeger's CPU time in µs (the process make infra-up started), or undefined when it is not running. */
function jaegerCpuMicros(): number | undefined {
  const pid = partPid("jaeger");
  return pid === null ? undefined : processCpuMs(pid) * 1000;
}

interface Run {
  protocol: Protocol;
  spans: number;
  nodeMicrosPerSpan: number;
  jaegerMicrosPerSpan: number;
  jaegerIdleMicros: number;
  seconds: number;
}

function emit(protocol: Protocol, events: number, seconds: number, service: string) {
  return new Promise<{ spans: number; cpuMicros: number }>((resolve, reject) => {
    const child = spawn(process.execPath, [emitter], {
      env: {
        ...process.env,
        OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
        SPAN_EXPORT_EVENTS: String(events),
        SPAN_EXPORT_SECONDS: String(seconds),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`span-export emitter exited with ${code}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as { spans: number; cpuMicros: number });
    });
  });
}

export const benchmark: Benchmark = {
  name: "span-export",
  description,
  async run(ctx): Promise<BenchResult> {
    const runs = ctx.quick ? 1 : Number(process.env.SPAN_EXPORT_RUNS ?? 3);
    const events = Number(process.env.SPAN_EXPORT_EVENTS ?? 1000);
    const seconds = ctx.quick ? 3 : Number(process.env.SPAN_EXPORT_SECONDS ?? 10);
    if (jaegerCpuMicros() === undefined)
      throw new Error(`span-export: no Jaeger process in ${runDir} (make infra-up starts it)`);
    const order: Protocol[] = [];
    for (let i = 0; i < runs; i++) order.push(...(i % 2 === 0 ? protocols : [...protocols].reverse()));
    const results: Run[] = [];
    for (const [i, protocol] of order.entries()) {
      const idle0 = jaegerCpuMicros()!;
      await sleep(IDLE_SECONDS * 1000);
      const idle = jaegerCpuMicros()! - idle0;
      const t0 = Date.now();
      const j0 = jaegerCpuMicros()!;
      const { spans, cpuMicros } = await emit(protocol, events, seconds, `span-export-${i}`);
      await sleep(1000); // Jaeger stores what the last export carried
      const window = (Date.now() - t0) / 1000;
      const jaeger = jaegerCpuMicros()! - j0 - (idle * window) / IDLE_SECONDS;
      const run: Run = {
        protocol,
        spans,
        nodeMicrosPerSpan: Number((cpuMicros / spans).toFixed(1)),
        jaegerMicrosPerSpan: Number((Math.max(0, jaeger) / spans).toFixed(1)),
        jaegerIdleMicros: idle,
        seconds: window,
      };
      results.push(run);
      ctx.log(
        `  ${protocol.padEnd(13)} ${spans} spans: exporter ${run.nodeMicrosPerSpan} µs/span, Jaeger ${run.jaegerMicrosPerSpan} µs/span (idle ${(idle / 1000).toFixed(0)} ms in ${IDLE_SECONDS} s)`,
      );
    }
    const summary = protocols.map((protocol) => {
      const mine = results.filter((r) => r.protocol === protocol);
      const node = median(mine.map((r) => r.nodeMicrosPerSpan));
      const jaeger = median(mine.map((r) => r.jaegerMicrosPerSpan));
      const total = median(mine.map((r) => r.nodeMicrosPerSpan + r.jaegerMicrosPerSpan));
      return { protocol, node, jaeger, total };
    });
    const row = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(14) : x.padStart(22))).join("  ");
    const report = [
      row(["protocol", "exporter µs/span", "Jaeger µs/span", "both µs/span"]),
      ...summary.map((s) => row([s.protocol, s.node.toFixed(1), s.jaeger.toFixed(1), s.total.toFixed(1)])),
      `medians of ${runs} run(s) each; ${events} events a second for ${seconds} s, 4 spans an event (server span + 3 consumer spans)`,
    ].join("\n");
    ctx.log(report);
    return {
      name: "span-export",
      description,
      config: { runs, events, seconds, endpoint },
      report,
      data: { runs: results, summary },
    };
  },
};
