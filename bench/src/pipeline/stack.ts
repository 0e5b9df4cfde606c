// The running stack as the pipeline benchmark sees it: whether someone's `make test` is using it,
// restarting the four services with telemetry on or off (services/stack.sh passes its
// environment through to the services it starts), which state each running service is in, a
// warm-up and the wait for every consumer group's lag to be zero.
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "..", "..", "..");
export const eventscopeHome = process.env.EVENTSCOPE_HOME ?? join(repoRoot, ".eventscope");
export const runDir = join(eventscopeHome, "run");

export const SERVICES = ["producer", "event-store", "projection", "notification"] as const;
export type Service = (typeof SERVICES)[number];
export const SERVICE_PORTS: Record<Service, number> = {
  producer: 8081,
  "event-store": 8082,
  projection: 8083,
  notification: 8084,
};
/** The services that consume, and serve GET /lag for their group. */
const LAG_URLS = [8082, 8083, 8084].map((p) => `http://127.0.0.1:${p}/lag`);
const API_KEY = process.env.API_KEY ?? "eventscope-demo-key";
const PRODUCER_URL = process.env.PRODUCER_URL ?? "http://127.0.0.1:8081";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids of a running `infra/run-tests.sh` (someone's `make test`), none when it is not running. */
export function testRunPids(): number[] {
  try {
    return execFileSync("pgrep", ["-f", "infra/run-tests.sh"], { encoding: "utf8" })
      .split("\n")
      .map(Number)
      .filter((p) => p > 0 && p !== process.pid);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/**
 * Waits (polling every `pollMs`) until no `make test` is running: its end-to-end tests use the
 * running stack, which this benchmark loads and restarts. Returns how long it waited and whether
 * the tests are still running when it gave up.
 */
export async function waitForTests(
  log: (line: string) => void,
  { pollMs = 15_000, timeoutMs = 20 * 60_000 } = {},
): Promise<{ waitedSeconds: number; stillRunning: boolean }> {
  const started = Date.now();
  let pids = testRunPids();
  if (pids.length > 0) log(`make test is running (pid ${pids.join(", ")}): waiting for it to finish`);
  while (pids.length > 0 && Date.now() - started < timeoutMs) {
    await sleep(pollMs);
    pids = testRunPids();
  }
  const waitedSeconds = Math.round((Date.now() - started) / 1000);
  if (waitedSeconds > 0 && pids.length === 0) log(`make test finished (waited ${waitedSeconds} s)`);
  return { waitedSeconds, stillRunning: pids.length > 0 };
}

async function ok(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })).ok;
  } catch {
    return false;
  }
}

/** Every service answers /health/ready. */
export async function servicesReady(): Promise<boolean> {
  const all = await Promise.all(SERVICES.map((s) => ok(`http://127.0.0.1:${SERVICE_PORTS[s]}/health/ready`)));
  return all.every(Boolean);
}

/** The pid services/stack.sh recorded for a part, when that process is alive. */
export function partPid(part: string): number | null {
  try {
    const [pid, start] = readFileSync(join(runDir, `${part}.pid`), "utf8")
      .trim()
      .split(/\s+/);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // The recorded start time tells the live process from a reused pid (field 22 = index 19 here).
    return fields[19] === start ? Number(pid) : null;
  } catch {
    return null;
  }
}

/** Telemetry state of each running service, from its environment: true on, false off, null down. */
export function telemetryState(): Record<Service, boolean | null> {
  const out = {} as Record<Service, boolean | null>;
  for (const s of SERVICES) {
    const pid = partPid(s);
    if (pid === null) {
      out[s] = null;
      continue;
    }
    try {
      const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      out[s] = !env.some((kv) => /^OTEL_SDK_DISABLED=true$/i.test(kv));
    } catch {
      out[s] = null;
    }
  }
  return out;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(
      join(repoRoot, "services", "stack.sh"),
      args,
      { cwd: repoRoot, env, maxBuffer: 8 * 1024 * 1024, timeout: 10 * 60_000 },
      (err, stdout, stderr) => {
        const out = `${stdout}${stderr}`;
        if (err)
          reject(
            new Error(`services/stack.sh ${args.join(" ")} failed: ${err.message}\n${out.slice(-2000)}`),
          );
        else resolveRun(out);
      },
    );
  });
}

/**
 * `services/stack.sh stop` then `services/stack.sh up` with OTEL_SDK_DISABLED=true in the
 * services' environment (telemetry off) or without it (on, the normal state). The
 * infrastructure is left running. Returns the seconds it took; throws when a service does not
 * come up in the state asked for.
 */
export async function restartServices(telemetry: boolean): Promise<number> {
  const started = performance.now();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OTEL_SDK_DISABLED;
  if (!telemetry) env.OTEL_SDK_DISABLED = "true";
  await run(["stop"], env);
  await run(["up"], env);
  const state = telemetryState();
  const wrong = SERVICES.filter((s) => state[s] !== telemetry);
  if (wrong.length > 0) {
    throw new Error(
      `after restarting with telemetry ${telemetry ? "on" : "off"}: ${wrong.map((s) => `${s} ${state[s] === null ? "down" : state[s] ? "on" : "off"}`).join(", ")}`,
    );
  }
  return (performance.now() - started) / 1000;
}

interface LagBody {
  groups?: { group: string; lag?: number }[];
}

/** The total lag over every consumer group the services report (null when one does not answer). */
export async function totalLag(): Promise<number | null> {
  let total = 0;
  for (const url of LAG_URLS) {
    try {
      const res = await fetch(`${url}?fresh=true`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return null;
      const body = (await res.json()) as LagBody;
      total += (body.groups ?? []).reduce((a, g) => a + (g.lag ?? 0), 0);
    } catch {
      return null;
    }
  }
  return total;
}

/** Waits until every group's lag is zero; returns the seconds waited, or null on timeout. */
export async function waitLagZero(timeoutMs = 60_000): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await totalLag()) === 0) return (Date.now() - started) / 1000;
    await sleep(250);
  }
  return null;
}

/**
 * Warms freshly started services up (JIT, connection pools, consumer group assignment): posts
 * `events` user-activity events, `concurrency` at a time, straight to the producer, then waits
 * for the lag to drain. Their user ids start with `bench-warmup-` (no load run's ledger counts
 * them). Returns how many were accepted.
 */
export async function warmUp(events: number, concurrency = 16): Promise<number> {
  let next = 0;
  let accepted = 0;
  const tag = Date.now().toString(36);
  const worker = async () => {
    while (next < events) {
      const i = next++;
      try {
        const res = await fetch(`${PRODUCER_URL}/api/events`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": API_KEY },
          body: JSON.stringify({
            userId: `bench-warmup-${tag}-u${i % 50}`,
            eventType: "page_view",
            metadata: { page: `/warmup/${i % 7}`, source: "bench" },
          }),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status === 202) accepted++;
        await res.arrayBuffer();
      } catch {
        /* a warm-up request that fails is not a measurement */
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await waitLagZero(60_000);
  return accepted;
}
