import type { Server } from "node:http";
import { utimes, writeFile } from "node:fs/promises";
import type { Logger } from "./logger.ts";

export interface RunningService {
  logger: Logger;
  server: Server;
  port: number;
  host: string;
  /** Stops consuming and releases connections, after the HTTP server stopped accepting. */
  stop(): Promise<void>;
}

/** Listens, and on SIGTERM/SIGINT drains in-flight requests before stopping the rest. */
export async function serve(service: RunningService): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    service.server.once("error", reject);
    service.server.listen(service.port, service.host, resolve);
  });
  service.logger.info({ port: service.port, host: service.host }, "listening");
  beat(process.env.EVENTSCOPE_HEARTBEAT_FILE);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    const closed = new Promise<void>((resolve) => service.server.close(() => resolve()));
    service.server.closeIdleConnections();
    closed
      .then(() => service.stop())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        service.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      });
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

/**
 * The event loop's heartbeat for a supervisor (services/supervise.sh sets the file): its time is
 * touched every second while the loop turns. A service too busy to accept a health check at once
 * (its accept queue full under overload) still beats, and is not taken for hung; one whose loop
 * is blocked or stopped does not.
 */
function beat(file: string | undefined): void {
  if (!file) return;
  let writing = false;
  const touch = () => {
    if (writing) return;
    writing = true;
    const now = new Date();
    utimes(file, now, now)
      .catch(() => writeFile(file, ""))
      .catch(() => {})
      .finally(() => (writing = false));
  };
  touch();
  setInterval(touch, 1000).unref();
}

/**
 * Runs `connect` until it succeeds, once a second, without blocking start-up: a service answers
 * `/health/live` at once and reports not ready until its broker can be reached.
 */
export function keepConnecting(logger: Logger, what: string, connect: () => Promise<void>): void {
  const attempt = async (): Promise<void> => {
    for (;;) {
      try {
        await connect();
        logger.info(`connected: ${what}`);
        return;
      } catch (error) {
        logger.warn({ err: error }, `${what}: not reachable yet; retrying`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  void attempt();
}
