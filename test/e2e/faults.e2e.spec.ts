import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { checkLedger, type LedgerResult } from "@eventscope/loadtests";
import { databaseUrl, repoRoot, startService, waitFor, type RunningProcess } from "@eventscope/testkit";

// Faults under a modest load against the whole stack as `make up` runs it (every service under its
// supervisor): a service killed with SIGKILL, the broker restarted, PostgreSQL restarted, a second
// projection instance joining its consumer group. Each ends with the harness's ledger: every
// event answered 202 stored exactly once and projected exactly once.
const producer = process.env.PRODUCER_URL ?? "http://127.0.0.1:8081";
const apiKey = (process.env.API_KEYS ?? "eventscope-demo-key").split(",")[0]!.split(":")[0]!;
const home = process.env.EVENTSCOPE_HOME ?? join(repoRoot, ".eventscope");
const ports = { producer: 8081, "event-store": 8082, projection: 8083, notification: 8084 } as const;
type Service = keyof typeof ports;

const sh = (cmd: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, { cwd: repoRoot, env: process.env, timeout: 180_000 }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}\n${stdout}${stderr}`))
        : resolve(stdout),
    ),
  );

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}
const stackReady = async () =>
  (await Promise.all(Object.values(ports).map((p) => ready(`http://127.0.0.1:${p}/health/ready`)))).every(
    Boolean,
  );

const supervised = (svc: Service) => {
  const [pid] = readFileSync(join(home, "run", `${svc}.child`), "utf8")
    .trim()
    .split(/\s+/);
  const restarts = Number(readFileSync(join(home, "run", `${svc}.restarts`), "utf8").split(" ")[0]);
  return { pid: Number(pid), restarts };
};

async function storeHead(): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ p: string | null }>(
      "SELECT max(position)::text AS p FROM event_store.events",
    );
    return r.rows[0]?.p ?? "0";
  } finally {
    await client.end();
  }
}

interface Answer {
  at: number;
  status: number; // 0: no answer
  ms: number;
  retryAfter: string | null;
}

/**
 * An open-model load of user-activity events: `rate` per second for `seconds`, each request sent at
 * its own time whatever the others are doing, 10 s timeout. Every user id carries the run's prefix
 * so the ledger finds the run's events.
 */
async function load(runId: string, rate: number, seconds: number): Promise<Answer[]> {
  const answers: Promise<Answer>[] = [];
  const t0 = Date.now();
  const total = rate * seconds;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const at = Date.now();
    answers.push(
      fetch(`${producer}/api/events`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": apiKey },
        body: JSON.stringify({
          userId: `load-${runId}-u${i % 40}`,
          eventType: "fault_test",
          metadata: { i },
        }),
        signal: AbortSignal.timeout(10_000),
      }).then(
        async (res) => {
          await res.arrayBuffer();
          return { at, status: res.status, ms: Date.now() - at, retryAfter: res.headers.get("retry-after") };
        },
        () => ({ at, status: 0, ms: Date.now() - at, retryAfter: null }),
      ),
    );
  }
  return Promise.all(answers);
}

/** Runs the load with a fault injected `faultAt` seconds in, then waits for the ledger to balance. */
async function underLoad(
  label: string,
  fault: () => Promise<void>,
  opts: { rate?: number; seconds?: number; faultAt?: number } = {},
): Promise<{ answers: Answer[]; ledger: LedgerResult }> {
  const runId = `fault-${label}-${randomBytes(3).toString("hex")}`;
  const fromPosition = await storeHead();
  const since = new Date();
  const faulted = new Promise((r) => setTimeout(r, (opts.faultAt ?? 4) * 1000)).then(fault);
  const [answers] = await Promise.all([load(runId, opts.rate ?? 40, opts.seconds ?? 16), faulted]);
  const accepted = answers.filter((a) => a.status === 202).length;
  // No answer, or the producer's 504 "in doubt" (handed to the broker, not acknowledged in time):
  // such an event may or may not be stored, and the ledger counts it so.
  const unanswered = answers.filter((a) => a.status === 0 || a.status === 504).length;
  let ledger: LedgerResult | undefined;
  await waitFor(
    async () => {
      ledger = await checkLedger({ databaseUrl, runId, fromPosition, since, accepted, unanswered });
      return ledger.ok;
    },
    90_000,
    `the ledger of ${runId} to balance`,
  ).catch(() => undefined);
  return { answers, ledger: ledger! };
}

const expectBalanced = (ledger: LedgerResult) => {
  expect(ledger.accepted).toBeGreaterThan(0);
  expect({
    lost: ledger.lost,
    duplicated: ledger.duplicated,
    notProjected: ledger.notProjected,
    projectedTwice: ledger.projectedTwice,
  }).toEqual({ lost: 0, duplicated: 0, notProjected: 0, projectedTwice: 0 });
};

describe("faults under load", () => {
  afterAll(async () => {
    // Whatever happened, leave the stack as the next test file expects it.
    await sh(join(repoRoot, "infra", "native.sh"), ["up", "kafka", "postgres"]).catch(() => undefined);
    await waitFor(stackReady, 120_000, "the stack to be ready again").catch(() => undefined);
  });

  it("a service killed with SIGKILL is restarted by its supervisor and nothing is lost", async () => {
    expect(await stackReady()).toBe(true);
    const before = supervised("event-store");
    const { ledger } = await underLoad("kill", async () => {
      process.kill(before.pid, "SIGKILL");
      await waitFor(async () => supervised("event-store").restarts > before.restarts, 30_000, "a restart");
    });
    const after = supervised("event-store");
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.pid).not.toBe(before.pid);
    expect(await ready(`http://127.0.0.1:${ports["event-store"]}/health/ready`)).toBe(true);
    expectBalanced(ledger);
  });

  it("a hung service (SIGSTOP: no health answer, no heartbeat) is killed and restarted by its supervisor; a running one beats", async () => {
    expect(await stackReady()).toBe(true);
    // Every service's event loop touches its heartbeat file every second.
    for (const svc of Object.keys(ports) as Service[]) {
      const age = Date.now() - statSync(join(home, "run", `${svc}.beat`)).mtimeMs;
      expect(age, svc).toBeLessThan(5000);
    }
    const before = supervised("notification");
    process.kill(before.pid, "SIGSTOP");
    // Three missed checks (5 s apart, 2 s under make test), then the restart (backoff 1 s).
    await waitFor(
      async () =>
        supervised("notification").restarts > before.restarts &&
        supervised("notification").pid !== before.pid,
      45_000,
      "a restart",
    );
    expect(readFileSync(join(home, "logs", "notification.log"), "utf8")).toContain(
      `no answer on /health/live 3 times: KILL pid ${before.pid}`,
    );
    await waitFor(() => ready(`http://127.0.0.1:${ports.notification}/health/ready`), 60_000, "ready again");
  });

  it("every supervised service runs with its young generation capped and its old one's growth set (NODE_SEMI_SPACE_MB 16, NODE_HEAP_GROWING_PERCENT 50)", async () => {
    for (const [svc, port] of Object.entries(ports) as [Service, number][]) {
      const cmdline = readFileSync(`/proc/${supervised(svc).pid}/cmdline`, "utf8").split("\0");
      expect(cmdline, svc).toContain("--max-semi-space-size=16");
      expect(cmdline, svc).toContain("--heap-growing-percent=50");
      // V8's own account, after the load of the tests before: two semi-spaces of at most 16 MiB
      // (uncapped, Node sizes them from the machine's memory: 64 MiB each on a 24 GiB box).
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = metrics
        .split("\n")
        .find((l) => l.startsWith('nodejs_heap_space_size_total_bytes{space="new"'));
      expect(line, svc).toBeDefined();
      expect(Number(line!.split(" ").pop()), svc).toBeLessThanOrEqual(34 * 2 ** 20);
    }
    // A value node would refuse stops `up` before anything starts, naming the variable.
    const up = (env: Record<string, string>) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(
          "services/stack.sh",
          ["up"],
          { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 30_000 },
          (err, _stdout, stderr) =>
            resolve({ code: err ? ((err.code as number | undefined) ?? null) : 0, stderr }),
        ),
      );
    const semi = await up({ NODE_SEMI_SPACE_MB: "16MB" });
    expect(semi.code).toBe(1);
    expect(semi.stderr).toContain(
      'NODE_SEMI_SPACE_MB: expected a whole number of MiB from 1 to 9999, got "16MB"',
    );
    const growing = await up({ NODE_HEAP_GROWING_PERCENT: "-5" });
    expect(growing.code).toBe(1);
    expect(growing.stderr).toContain(
      `NODE_HEAP_GROWING_PERCENT: expected a whole number from 0 (V8's own) to 999, got "-5"`,
    );
  });

  it("the broker restarted: fast 503 (not sent) or 504 (in doubt) with Retry-After, nothing accepted lost or doubled", async () => {
    const { answers, ledger } = await underLoad(
      "broker",
      async () => {
        await sh(join(repoRoot, "infra", "native.sh"), ["down", "kafka"]);
        await new Promise((r) => setTimeout(r, 3000));
        await sh(join(repoRoot, "infra", "native.sh"), ["up", "kafka"]);
      },
      { seconds: 24 },
    );
    const refused = answers.filter((a) => a.status === 503 || a.status === 504);
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    for (const a of refused) expect(a.retryAfter).toMatch(/^\d+$/);
    // "Fast": the answer comes within the publish timeout, never a hang until the client gives up.
    expect(Math.max(...refused.map((a) => a.ms))).toBeLessThan(5000);
    expect(answers.filter((a) => ![202, 503, 504].includes(a.status))).toEqual([]);
    await waitFor(stackReady, 120_000, "the stack to be ready after the broker restart");
    expectBalanced(ledger);
  });

  it("PostgreSQL restarted: the consumers wait for it and nothing is lost", async () => {
    const { answers, ledger } = await underLoad("postgres", async () => {
      await sh(join(repoRoot, "infra", "native.sh"), ["down", "postgres"]);
      await new Promise((r) => setTimeout(r, 2000));
      await sh(join(repoRoot, "infra", "native.sh"), ["up", "postgres"]);
    });
    // The producer does not need PostgreSQL: every request is still accepted.
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    await waitFor(stackReady, 120_000, "the stack to be ready after the PostgreSQL restart");
    expectBalanced(ledger);
  });

  it("a second projection instance joining and leaving the group mid-run changes nothing", async () => {
    let second: RunningProcess | undefined;
    try {
      const { ledger } = await underLoad("rebalance", async () => {
        second = await startService("projection", {
          DATABASE_URL: databaseUrl,
          KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? "127.0.0.1:9092",
          OTEL_SDK_DISABLED: "true",
        });
        await new Promise((r) => setTimeout(r, 5000));
        await second.kill("SIGTERM");
        second = undefined;
      });
      expectBalanced(ledger);
    } finally {
      await second?.kill("SIGKILL");
    }
  });
});
