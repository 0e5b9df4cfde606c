/**
 * What the gateway costs: the same requests at a fixed concurrency straight to a service and
 * through the gateway, alternated (direct, gateway, direct, gateway...) so that a busy moment of
 * the shared machine falls on both. Two upstreams:
 *  - a stand-in (node:http answering a small JSON body at once): the proxy's own cost;
 *  - the real producer, `POST /api/events` acknowledged by Kafka (topics of its own): what a
 *    client of the front door sees.
 * The gateway runs with telemetry on (as in the stack) and, on the stand-in, off; nginx from
 * Debian, where installed, is the reference for the hop itself.
 * Figures, not a test:
 *
 *   node services/gateway/test/proxy-bench.ts [--seconds 8] [--concurrency 16] [--rounds 2]
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import {
  createTopics,
  deleteTopics,
  startService,
  uniqueName,
  freePort,
  waitFor,
  type RunningProcess,
} from "@eventscope/testkit";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "2" },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const key = "eventscope-demo-key";

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU of the proxy per request, in microseconds. */
  cpuUs: number;
}

/** `concurrency` loops of one request after another for `seconds`, over kept-alive connections. */
/** CPU seconds used so far by the processes listening on a URL's port (a proxy's own cost). */
function cpuOf(url: string): () => number {
  const listing = execFileSync("ss", ["-ltnpH", `sport = :${new URL(url).port}`], { encoding: "utf8" });
  const pids = [...new Set([...listing.matchAll(/pid=(\d+)/g)].map((m) => m[1]!))];
  // nginx: the master listens, its worker does the work.
  const children = pids.flatMap((pid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(/\s+/).filter(Boolean);
    } catch {
      return [];
    }
  });
  const all = [...new Set([...pids, ...children])];
  return () =>
    all.reduce((sum, pid) => {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        return sum + (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in ticks of 10 ms
      } catch {
        return sum;
      }
    }, 0);
}

async function load(
  base: string,
  method: Method,
  path: string,
  body?: string,
  cpu?: () => number,
): Promise<Figures> {
  const cpu0 = cpu?.() ?? NaN;
  const pool = new Pool(base, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const headers = { "content-type": "application/json", "x-api-key": key };
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await pool.request({ method, path, headers, body: body ?? null });
        await res.body.dump();
        if (res.statusCode >= 400) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const cpuUs = ((cpu?.() ?? NaN) - cpu0) / Math.max(1, latencies.length + errors) / 1e-6;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors, cpuUs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

type Method = "GET" | "POST";

/** The same load against each target in turn, `rounds` times; medians, and each against the first. */
async function compare(
  label: string,
  targets: Record<string, string>,
  method: Method,
  path: string,
  body?: string,
) {
  const names = Object.keys(targets);
  const runs = Object.fromEntries(names.map((n) => [n, [] as Figures[]]));
  // The first target is the service itself (the stand-in lives in this process): no proxy CPU.
  const cpu = Object.fromEntries(names.map((n, i) => [n, i === 0 ? undefined : cpuOf(targets[n]!)]));
  for (const n of names) await load(targets[n]!, method, path, body); // warm-up: JIT, connections, Kafka metadata
  for (let i = 0; i < rounds; i++)
    for (const n of names) runs[n]!.push(await load(targets[n]!, method, path, body, cpu[n]));
  const summary = (fs: Figures[]) => ({
    rps: median(fs.map((f) => f.rps)),
    p50: median(fs.map((f) => f.p50)),
    p99: median(fs.map((f) => f.p99)),
    errors: fs.reduce((n, f) => n + f.errors, 0),
    cpuUs: median(fs.map((f) => f.cpuUs)),
  });
  const base = summary(runs[names[0]!]!);
  for (const n of names) {
    const f = summary(runs[n]!);
    const delta =
      n === names[0]
        ? "| | | |"
        : `| ${((f.rps / base.rps - 1) * 100).toFixed(0)} % | +${(f.p50 - base.p50).toFixed(2)} / +${(f.p99 - base.p99).toFixed(2)} | ${f.cpuUs.toFixed(0)} |`;
    console.log(
      `| ${label} | ${n} | ${f.rps.toFixed(0)} | ${f.p50.toFixed(2)} | ${f.p99.toFixed(2)} | ${f.errors} ${delta}`,
    );
  }
}

/** nginx from Debian as a reference hop (everything to one upstream, kept-alive), when installed. */
async function startNginx(upstream: string): Promise<{ url: string; stop: () => void } | undefined> {
  const binary = "/usr/sbin/nginx";
  if (!existsSync(binary)) return undefined;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "gwbench-nginx-"));
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
  upstream service { server ${new URL(upstream).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://service; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_request_buffering off; proxy_buffering off;
    }
  }
}
`,
  );
  const child = spawn(binary, ["-c", conf, "-p", dir], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, 10_000, "nginx");
  return { url, stop: () => child.kill("SIGTERM") };
}

const started: RunningProcess[] = [];
const stops: (() => void)[] = [];
const standIn = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}'));
});
await new Promise<void>((r) => standIn.listen(0, "127.0.0.1", r));
const standInUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
const name = uniqueName("gwbench");
const topics = await createTopics(`${name}.`);
/** A gateway whose every upstream is the stand-in but the producer, which is `producer`. */
const gatewayFor = async (producer: string, telemetry: boolean) => {
  const p = await startService("gateway", {
    LOG_LEVEL: "warn",
    PRODUCER_URL: producer,
    EVENT_STORE_URL: standInUrl,
    PROJECTION_URL: standInUrl,
    NOTIFICATION_URL: standInUrl,
    PROCESS_MANAGER_URL: standInUrl,
    OTEL_SDK_DISABLED: String(!telemetry),
  });
  started.push(p);
  return p.url;
};
try {
  const producer = await startService("producer", {
    TOPIC_PREFIX: `${name}.`,
    LOG_LEVEL: "warn",
    API_KEYS: key,
  });
  started.push(producer);
  const nginxStandIn = await startNginx(standInUrl);
  const nginxProducer = await startNginx(producer.url);
  for (const n of [nginxStandIn, nginxProducer]) if (n) stops.push(n.stop);
  console.log(`${seconds} s per run, ${concurrency} concurrent requests, medians of ${rounds} rounds\n`);
  console.log(
    "| upstream, route | via | requests/s | p50 ms | p99 ms | errors | requests/s vs direct | added p50 / p99 ms | proxy CPU µs/request |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  await compare(
    "stand-in, GET /api/events",
    {
      direct: standInUrl,
      gateway: await gatewayFor(standInUrl, true),
      "gateway, telemetry off": await gatewayFor(standInUrl, false),
      ...(nginxStandIn ? { "nginx (reference hop)": nginxStandIn.url } : {}),
    },
    "GET",
    "/api/events",
  );
  const event = JSON.stringify({
    userId: "bench-user",
    eventType: "login",
    metadata: { ipAddress: "192.168.1.1" },
  });
  await compare(
    "producer, POST /api/events",
    {
      direct: producer.url,
      gateway: await gatewayFor(producer.url, true),
      ...(nginxProducer ? { "nginx (reference hop)": nginxProducer.url } : {}),
    },
    "POST",
    "/api/events",
    event,
  );
} finally {
  await Promise.all(started.map((p) => p.kill()));
  for (const stop of stops) stop();
  standIn.close();
  await deleteTopics(topics);
}
