import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export type ServiceName =
  "producer" | "event-store" | "projection" | "notification" | "gateway" | "process-manager";

export interface RunningProcess {
  name: ServiceName;
  url: string;
  port: number;
  logFile: string;
  /** The process id of the running service (undefined once it exited). */
  readonly pid: number | undefined;
  /** Sends a signal (SIGKILL for a crash) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same environment and port, and waits until ready. */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ""}`,
  );
}

/**
 * Runs a service as a real process (`node services/<name>/src/main.ts`) with the given
 * environment on a free port, and waits until /health/ready answers 200.
 */
export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  options: { waitReady?: boolean } = {},
): Promise<RunningProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const logDir = join(repoRoot, ".eventscope", "test-logs");
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-${env.DATABASE_SCHEMA ?? "default"}-${port}.log`);
  const log = createWriteStream(logFile, { flags: "a" });
  let child: ChildProcess | undefined;
  const url = `http://127.0.0.1:${port}`;

  const launch = async () => {
    // The OpenTelemetry instrumentations are enabled before the service's modules load (ESM).
    const hook = join(repoRoot, "packages", "platform", "src", "instrument.ts");
    // V8's young generation, as services/stack.sh gives it (which checks the value for users; a
    // value node refuses ends the child at once, and the wait below reports its exit and log).
    const semiSpace = `--max-semi-space-size=${env.NODE_SEMI_SPACE_MB ?? process.env.NODE_SEMI_SPACE_MB ?? "16"}`;
    const growing = `--heap-growing-percent=${env.NODE_HEAP_GROWING_PERCENT ?? process.env.NODE_HEAP_GROWING_PERCENT ?? "50"}`;
    child = spawn(
      process.execPath,
      [semiSpace, growing, "--import", hook, join(repoRoot, "services", name, "src", "main.ts")],
      {
        cwd: repoRoot,
        env: { ...process.env, LOG_LEVEL: "info", ...env, PORT: String(port) },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<never>((_, reject) =>
      child!.once("exit", (code) =>
        reject(new Error(`${name} exited with ${code} before it was ready; see ${logFile}`)),
      ),
    );
    exited.catch(() => {});
    await Promise.race([
      exited,
      waitFor(
        async () =>
          (await fetch(`${url}/health/${options.waitReady === false ? "live" : "ready"}`)).status === 200,
        60_000,
        `${name} to be ready`,
      ),
    ]);
  };

  const kill = async (signal: NodeJS.Signals = "SIGTERM") => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    await new Promise<void>((r) => {
      current.once("exit", () => r());
      current.kill(signal);
    });
  };

  await launch();
  return {
    name,
    url,
    port,
    logFile,
    get pid() {
      return child?.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    kill,
    restart: launch,
  };
}
