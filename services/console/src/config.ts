import { join } from "node:path";
import {
  commonSettings,
  int,
  readConfig,
  type ConfigOf,
  type ConfigSpec,
  type Env,
} from "@eventscope/platform";

// Where the console reads from: the services, Prometheus, Jaeger's query API and Kafka. These
// are the only places its API ever sends a request to.
export const consoleSettings = {
  kafkaBrokers: commonSettings.kafkaBrokers,
  topicPrefix: commonSettings.topicPrefix,
  logLevel: commonSettings.logLevel,
  logFormat: commonSettings.logFormat,
  host: commonSettings.host,
  port: {
    env: "CONSOLE_PORT",
    default: 8085,
    parse: int,
    description: "HTTP port of the standalone console",
  },
  eventStoreUrl: { env: "EVENT_STORE_URL", default: "http://127.0.0.1:8082", description: "The event store" },
  projectionUrl: {
    env: "PROJECTION_URL",
    default: "http://127.0.0.1:8083",
    description: "The projection service",
  },
  notificationUrl: {
    env: "NOTIFICATION_URL",
    default: "http://127.0.0.1:8084",
    description: "The notification service",
  },
  processManagerUrl: {
    env: "PROCESS_MANAGER_URL",
    default: "http://127.0.0.1:8086",
    description: "The process manager (sagas)",
  },
  prometheusUrl: {
    env: "PROMETHEUS_URL",
    default: "http://127.0.0.1:9090",
    description: "Prometheus (query API)",
  },
  jaegerUrl: { env: "JAEGER_URL", default: "http://127.0.0.1:16686", description: "Jaeger's query API" },
  jaegerUiUrl: {
    env: "JAEGER_UI_URL",
    default: "",
    description: "Where a trace link points (`<url>/trace/<id>`); empty means JAEGER_URL",
  },
  reportsDir: {
    env: "REPORTS_DIR",
    default: "",
    description: "Load reports (`<runId>/index.html`, `report.json`); empty means EVENTSCOPE_HOME/reports",
  },
  upstreamTimeoutMs: {
    env: "CONSOLE_UPSTREAM_TIMEOUT_MS",
    default: 5000,
    parse: int,
    description: "Longest wait for one answer of a service, Prometheus, Jaeger or Kafka",
  },
  maxMessages: {
    env: "CONSOLE_MAX_MESSAGES",
    default: 200,
    parse: int,
    description: "Most Kafka messages one request reads",
  },
} satisfies ConfigSpec;

export type ConsoleConfig = ConfigOf<typeof consoleSettings>;

export function readConsoleConfig(
  env: Env = process.env,
  overrides: Partial<ConsoleConfig> = {},
): ConsoleConfig {
  const config = readConfig(consoleSettings, env, overrides);
  if (config.jaegerUiUrl === "") config.jaegerUiUrl = config.jaegerUrl;
  if (config.reportsDir === "")
    config.reportsDir = join(env.EVENTSCOPE_HOME ?? join(process.cwd(), ".eventscope"), "reports");
  return config;
}
