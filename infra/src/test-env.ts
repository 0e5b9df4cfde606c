import { kafkaPartitions } from "./topics.ts";

/** Where the infrastructure answers: what tests (and local tools) connect to. */
export interface TestEnv {
  /** KAFKA_BROKERS, comma-separated host:port list. */
  kafkaBrokers: string[];
  /** KAFKA_PARTITIONS: partitions of each platform topic. */
  kafkaPartitions: number;
  /** DATABASE_URL */
  databaseUrl: string;
  /** PROMETHEUS_URL */
  prometheusUrl: string;
  /** JAEGER_QUERY_URL: Jaeger's query API (/api/traces/{id}, /api/services). */
  jaegerQueryUrl: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: OTLP/HTTP base URL (traces go to `${otlpUrl}/v1/traces`). */
  otlpUrl: string;
  /** SMTP_HOST */
  smtpHost: string;
  /** SMTP_PORT */
  smtpPort: number;
  /** MAIL_API_URL: the Mailpit-compatible HTTP API of the SMTP sink. */
  mailApiUrl: string;
}

export const TEST_ENV_DEFAULTS = {
  KAFKA_BROKERS: "127.0.0.1:9092",
  DATABASE_URL: "postgres://eventscope:eventscope@127.0.0.1:55432/eventscope",
  PROMETHEUS_URL: "http://127.0.0.1:9090",
  JAEGER_QUERY_URL: "http://127.0.0.1:16686",
  OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
  SMTP_HOST: "127.0.0.1",
  SMTP_PORT: "1025",
  MAIL_API_URL: "http://127.0.0.1:8025",
} as const;

function read(env: NodeJS.ProcessEnv, name: keyof typeof TEST_ENV_DEFAULTS): string {
  const value = env[name];
  return value === undefined || value === "" ? TEST_ENV_DEFAULTS[name] : value;
}

const trimSlash = (url: string): string => url.replace(/\/+$/, "");

/** Connection settings, each from the environment with the native infrastructure's defaults. */
export function loadTestEnv(env: NodeJS.ProcessEnv = process.env): TestEnv {
  const smtpPort = Number(read(env, "SMTP_PORT"));
  if (!Number.isInteger(smtpPort) || smtpPort <= 0)
    throw new Error(`SMTP_PORT is not a port: ${env.SMTP_PORT}`);
  return {
    kafkaBrokers: read(env, "KAFKA_BROKERS")
      .split(",")
      .map((b) => b.trim())
      .filter((b) => b !== ""),
    kafkaPartitions: kafkaPartitions(env),
    databaseUrl: read(env, "DATABASE_URL"),
    prometheusUrl: trimSlash(read(env, "PROMETHEUS_URL")),
    jaegerQueryUrl: trimSlash(read(env, "JAEGER_QUERY_URL")),
    otlpUrl: trimSlash(read(env, "OTEL_EXPORTER_OTLP_ENDPOINT")),
    smtpHost: read(env, "SMTP_HOST"),
    smtpPort,
    mailApiUrl: trimSlash(read(env, "MAIL_API_URL")),
  };
}

/** The settings for this process's environment. */
export const testEnv: TestEnv = loadTestEnv();
