/**
 * Checks that every infrastructure part answers: used by the vitest globalSetup of the `int`
 * and `e2e` projects (infra/test/global-setup.ts).
 */
import net from "node:net";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import type { TestEnv } from "./test-env.ts";

export interface PartHealth {
  part: string;
  target: string;
  ok: boolean;
  detail: string;
}

function withTimeout<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function check(
  part: string,
  target: string,
  ms: number,
  probe: () => Promise<string>,
): Promise<PartHealth> {
  try {
    return { part, target, ok: true, detail: await withTimeout(ms, probe()) };
  } catch (err) {
    return { part, target, ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

async function httpOk(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return `HTTP ${res.status}`;
}

function smtpBanner(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(4000, () => socket.destroy(new Error("timeout waiting for the SMTP banner")));
    socket.once("data", (data) => {
      const line = data.toString("utf8").split("\r\n")[0] ?? "";
      socket.end("QUIT\r\n");
      if (line.startsWith("220")) resolve(line);
      else reject(new Error(`unexpected SMTP greeting: ${line}`));
    });
    socket.once("error", reject);
  });
}

/** Probes Kafka, PostgreSQL, Prometheus, Jaeger and the SMTP sink in parallel. */
export async function checkInfrastructure(env: TestEnv, timeoutMs = 5000): Promise<PartHealth[]> {
  return Promise.all([
    check("kafka", env.kafkaBrokers.join(","), timeoutMs, async () => {
      const kafka = new Kafka({
        clientId: "eventscope-health",
        brokers: env.kafkaBrokers,
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3000,
        retry: { retries: 1 },
      });
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)`;
      } finally {
        await admin.disconnect();
      }
    }),
    check("postgres", env.databaseUrl.replace(/:[^:@/]*@/, ":***@"), timeoutMs, async () => {
      const client = new pg.Client({ connectionString: env.databaseUrl, connectionTimeoutMillis: 4000 });
      try {
        await client.connect();
        const r = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
        return `PostgreSQL ${r.rows[0]?.v ?? "?"}`;
      } finally {
        await client.end().catch(() => undefined);
      }
    }),
    check("prometheus", env.prometheusUrl, timeoutMs, () => httpOk(`${env.prometheusUrl}/-/ready`)),
    check("jaeger", env.jaegerQueryUrl, timeoutMs, () => httpOk(`${env.jaegerQueryUrl}/api/services`)),
    check("smtp", `${env.smtpHost}:${env.smtpPort}`, timeoutMs, () => smtpBanner(env.smtpHost, env.smtpPort)),
    check("mail api", env.mailApiUrl, timeoutMs, () => httpOk(`${env.mailApiUrl}/api/v1/messages?limit=1`)),
  ]);
}
