/**
 * What the load generator costs, on its own: CPU per request of the native engine at a given
 * rate against a sink that answers 202 at once (a separate process, on loopback), so the figure
 * is the generator's and not the platform's. A figure, not a test:
 *
 *   node loadtests/src/native/cost.ts [--rate 1000] [--seconds 30]
 *
 * Measures vegeta (its processes' CPU, exact) plus what the runner spends feeding it targets and
 * reading its results, and, for comparison, the same open-model load sent by the runner's own
 * undici driver (no vegeta at all).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { planFor } from "../../scenarios/lib/model.ts";
import { FlowDriver } from "./driver.ts";
import { LoadMetrics } from "./metrics.ts";
import { Recorder } from "./recorder.ts";
import { runAttack } from "./vegeta.ts";

const sinkSource = `
const http = require("node:http");
const body = JSON.stringify({ message: "ok", eventId: "e" });
const s = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => { res.writeHead(202, { "content-type": "application/json", "content-length": body.length }); res.end(body); });
});
s.keepAliveTimeout = 30000;
s.listen(0, "127.0.0.1", () => console.log(s.address().port));
`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rate: { type: "string" }, seconds: { type: "string" } } });
  const rate = Number(values.rate ?? 1000);
  const seconds = Number(values.seconds ?? 30);
  const sink = spawn(process.execPath, ["-e", sinkSource], { stdio: ["ignore", "pipe", "inherit"] });
  const [chunk] = (await once(sink.stdout, "data")) as [Buffer];
  const url = `http://127.0.0.1:${chunk.toString().trim()}`;
  const plan = planFor("load", {
    RATE: String(rate),
    DURATION: `${seconds}s`,
    PRODUCER_URL: url,
    PROJECTION_URL: url,
  });
  const out: string[] = [`generator cost at ${rate}/s for ${seconds} s against a 202 sink (${url})`];

  {
    const recorder = new Recorder(plan, new LoadMetrics({}));
    recorder.t0 = Date.now();
    let vegetaCpu = 0;
    const before = process.cpuUsage();
    const run = runAttack(
      0,
      { at: 0, seconds, rate },
      { plan, recorder, scenario: "load", warnings: [], onCpu: (s) => (vegetaCpu += s) },
    );
    await run.done;
    const used = process.cpuUsage(before);
    const s = recorder.summary();
    const n = s["http_reqs{kind:write}"]!.values.count!;
    const runner = (used.user + used.system) / 1e6;
    out.push(
      `  vegeta:  ${n} requests, p50 ${s["http_req_duration{kind:write}"]!.values.med!.toFixed(2)} ms, p99 ${s["http_req_duration{kind:write}"]!.values["p(99)"]!.toFixed(2)} ms, ` +
        `dropped ${s.dropped_iterations!.values.count}, late ${s.late_requests!.values.count}; CPU vegeta ${((vegetaCpu * 1000) / n).toFixed(3)} ms/req + runner ${((runner * 1000) / n).toFixed(3)} ms/req = ${(((vegetaCpu + runner) * 1000) / n).toFixed(3)} ms/req`,
    );
  }
  {
    const recorder = new Recorder(plan, new LoadMetrics({}));
    const driver = new FlowDriver(plan, recorder);
    const mix = plan.activity!.mix;
    const before = process.cpuUsage();
    const t0 = Date.now();
    recorder.t0 = t0;
    await driver.arrive("load", plan.activity!.arrival, t0, () =>
      driver.send("load", "write", "POST", mix.path, mix.name, {
        userId: "u",
        eventType: "click",
        metadata: {},
      }),
    );
    await driver.settle();
    const used = process.cpuUsage(before);
    await driver.close();
    const s = recorder.summary();
    const n = s["http_reqs{kind:write}"]!.values.count!;
    const cpu = (used.user + used.system) / 1e6;
    out.push(
      `  undici:  ${n} requests, p50 ${s["http_req_duration{kind:write}"]!.values.med!.toFixed(2)} ms, p99 ${s["http_req_duration{kind:write}"]!.values["p(99)"]!.toFixed(2)} ms; CPU ${((cpu * 1000) / n).toFixed(3)} ms/req (the runner alone)`,
    );
  }
  sink.kill();
  process.stdout.write(out.join("\n") + "\n");
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  });
}
