import { fileURLToPath } from "node:url";
import {
  ConfigError,
  commonSettings,
  int,
  readConfig,
  type ConfigOf,
  type ConfigSpec,
  type Env,
} from "@eventscope/platform";
import type { Upstream } from "./routes.ts";

// An upstream is a plain http(s) base URL: no path, query or credentials to leak or rewrite.
const baseUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`"${raw}" is not a URL`);
  }
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash)
    throw new ConfigError(`"${raw}" must be an http(s) base URL without credentials, query or fragment`);
  if (url.pathname !== "/") throw new ConfigError(`"${raw}" must have no path`);
  return url.origin;
};

const { logLevel, logFormat, host } = commonSettings;
const { httpRequestTimeoutMs, httpHeadersTimeoutMs, httpKeepAliveTimeoutMs, httpMaxConnections } =
  commonSettings;

export const gatewaySettings = {
  logLevel,
  logFormat,
  host,
  httpRequestTimeoutMs,
  httpHeadersTimeoutMs,
  httpKeepAliveTimeoutMs,
  httpMaxConnections,
  port: { env: "PORT", default: 8080, parse: int, description: "HTTP port of the gateway" },
  producerUrl: {
    env: "PRODUCER_URL",
    default: "http://127.0.0.1:8081",
    parse: baseUrl,
    description: "Base URL of the producer",
  },
  eventStoreUrl: {
    env: "EVENT_STORE_URL",
    default: "http://127.0.0.1:8082",
    parse: baseUrl,
    description: "Base URL of the event store",
  },
  projectionUrl: {
    env: "PROJECTION_URL",
    default: "http://127.0.0.1:8083",
    parse: baseUrl,
    description: "Base URL of the projection",
  },
  notificationUrl: {
    env: "NOTIFICATION_URL",
    default: "http://127.0.0.1:8084",
    parse: baseUrl,
    description: "Base URL of the notification service",
  },
  processManagerUrl: {
    env: "PROCESS_MANAGER_URL",
    default: "http://127.0.0.1:8086",
    parse: baseUrl,
    description: "Base URL of the process manager (sagas)",
  },
  upstreamTimeoutMs: {
    env: "UPSTREAM_TIMEOUT_MS",
    default: 15_000,
    parse: int,
    description:
      "Longest an upstream may stay silent (connect, or between bytes) before the gateway answers 504",
  },
  upstreamMaxSockets: {
    env: "UPSTREAM_MAX_SOCKETS",
    default: 256,
    parse: int,
    description: "Most connections kept open to each upstream (kept alive between requests)",
  },
  readyTimeoutMs: {
    env: "READY_TIMEOUT_MS",
    default: 2000,
    parse: int,
    description: "Longest wait for an upstream's /health/ready when the gateway's own readiness is asked",
  },
  openApiFile: {
    env: "OPENAPI_FILE",
    default: "",
    description:
      "The OpenAPI document the routing table and Swagger UI are read from (empty: docs/openapi.yaml of this checkout)",
  },
} satisfies ConfigSpec;

export type GatewayConfig = ConfigOf<typeof gatewaySettings>;

const loopback = (host: string) =>
  /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1|0\.0\.0\.0|\[::\])$/.test(host);

/**
 * The settings, refusing an upstream that is the gateway itself: EVENT_STORE_URL is also the
 * producer's setting (where its statusUrl points), and aimed at the front door it would make the
 * gateway proxy to itself for ever.
 */
export function readGatewayConfig(env: Env = process.env, overrides: Partial<GatewayConfig> = {}) {
  const config = readConfig(gatewaySettings, env, overrides);
  for (const [name, url] of Object.entries(upstreamUrls(config))) {
    const { hostname, port, protocol } = new URL(url);
    const samePort = Number(port || (protocol === "https:" ? 443 : 80)) === config.port;
    if (samePort && (hostname === config.host || (loopback(hostname) && loopback(config.host))))
      throw new ConfigError(`the ${name} upstream ${url} is the gateway itself (port ${config.port})`);
  }
  return config;
}

export const openApiPath = (config: GatewayConfig): string =>
  config.openApiFile || fileURLToPath(new URL("../../../docs/openapi.yaml", import.meta.url));

export const upstreamUrls = (config: GatewayConfig): Record<Upstream, string> => ({
  producer: config.producerUrl,
  "event-store": config.eventStoreUrl,
  projection: config.projectionUrl,
  notification: config.notificationUrl,
  "process-manager": config.processManagerUrl,
});
