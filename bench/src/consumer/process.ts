// The consuming service the consumer-cost benchmark measures: a real process (the working tree's,
// or a commit's extracted beside it), the CPU it and its PostgreSQL backends spent (/proc).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { databaseUrl, freePort, repoRoot, waitFor } from "@eventscope/testkit";

const TICK_MS = 1000 / 100; // USER_HZ: /proc counts CPU time in ticks of 10 ms

/** utime + stime of a process in ms (0 once it is gone). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * Samples the CPU of the role's PostgreSQL backends every 250 ms until stopped, and answers what
 * they spent since the start (a backend that appeared meanwhile counts from zero; one that exited
 * counts until its last sample).
 */
export async function backendCpuMs(pool: pg.Pool, role: string): Promise<{ stop(): Promise<number> }> {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = async (initial: boolean) => {
    const { rows } = await pool.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE usename = $1",
      [role],
    );
    for (const { pid } of rows) {
      const ms = processCpuMs(pid);
      if (!first.has(pid)) first.set(pid, initial ? ms : 0);
      last.set(pid, Math.max(last.get(pid) ?? 0, ms));
    }
  };
  await sample(true);
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 250));
      await sample(false);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await sample(false);
      let sum = 0;
      for (const [pid, ms] of last) sum += ms - (first.get(pid) ?? 0);
      return sum;
    },
  };
}

/**
 * The services and packages of a commit, extracted under .eventscope/ with node_modules links of
 * their own for the workspace packages (every other dependency resolves to the repository's).
 */
export async function baselineRoot(commit: string): Promise<string> {
  const sha = execFileSync("git", ["rev-parse", commit], { cwd: repoRoot, encoding: "utf8" }).trim();
  const root = join(repoRoot, ".eventscope", "bench-baseline", sha.slice(0, 12));
  if (!existsSync(join(root, "services"))) {
    mkdirSync(root, { recursive: true });
    execFileSync("sh", ["-c", `git archive ${sha} packages services | tar -x -C '${root}'`], {
      cwd: repoRoot,
    });
  }
  const scope = join(root, "node_modules", "@eventscope");
  mkdirSync(scope, { recursive: true });
  for (const dir of ["packages", "services"])
    for (const entry of readdirSync(join(root, dir))) {
      const manifest = join(root, dir, entry, "package.json");
      if (!existsSync(manifest)) continue;
      const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name: string };
      const link = join(scope, name.replace("@eventscope/", ""));
      if (!existsSync(link)) symlinkSync(join(root, dir, entry), link);
      // A workspace's own versions of its dependencies (the repository's installed ones).
      const own = join(repoRoot, dir, entry, "node_modules");
      const ownLink = join(root, dir, entry, "node_modules");
      if (existsSync(own) && !existsSync(ownLink)) symlinkSync(own, ownLink);
    }
  return root;
}

export interface Consumer {
  service: string;
  label: string;
  url: string;
  topic: string;
  groupId: string;
  schema: string;
  role: string;
  pid(): number | undefined;
  kill(): Promise<void>;
}

/** Starts a consuming service on a free port with its own topics, schema, group and role; waits until ready. */
export async function startConsumer(options: {
  service: string;
  label: string;
  /** Where the service's code lives: the repository (undefined) or an extracted commit. */
  root: string | undefined;
  prefix: string;
  topic: string;
  schema: string;
  role: string;
}): Promise<Consumer> {
  const root = options.root ?? repoRoot;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const groupId = `${options.schema}-group`;
  const dbUrl = new URL(databaseUrl);
  dbUrl.username = options.role;
  dbUrl.password = options.role;
  const logDir = join(repoRoot, ".eventscope", "test-logs");
  mkdirSync(logDir, { recursive: true });
  const hook = join(root, "packages", "platform", "src", "instrument.ts");
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", hook, join(root, "services", options.service, "src", "main.ts")],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        PORT: String(port),
        TOPIC_PREFIX: options.prefix,
        DATABASE_SCHEMA: options.schema,
        DATABASE_URL: dbUrl.toString(),
        CONSUMER_GROUP: groupId,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) =>
      reject(new Error(`${options.service} exited with ${code} before it was ready`)),
    ),
  );
  exited.catch(() => {});
  await Promise.race([
    exited,
    waitFor(
      async () => (await fetch(`${url}/health/ready`)).status === 200,
      60_000,
      `${options.service} ready`,
    ),
  ]);
  return {
    service: options.service,
    label: options.label,
    url,
    topic: options.topic,
    groupId,
    schema: options.schema,
    role: options.role,
    pid: () => (child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
