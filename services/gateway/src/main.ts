import { createConsoleRouter, readConsoleConfig } from "@eventscope/console";
import { createLogger, createMetrics, serve, startTelemetry } from "@eventscope/platform";
import { createGatewayApp } from "./app.ts";
import { openApiPath, readGatewayConfig, upstreamUrls } from "./config.ts";
import { readOpenApi } from "./openapi.ts";

const service = "gateway";
const telemetry = startTelemetry(service);
const config = readGatewayConfig();
const logger = createLogger({ service, level: config.logLevel, format: config.logFormat });
const metrics = createMetrics(service);
const upstreams = upstreamUrls(config);
const document = await readOpenApi(openApiPath(config));
// The console (services/console) at /console: its reads and actions go to the services with the
// visitor's own key, which the services check.
const consoleRouter = createConsoleRouter({ config: readConsoleConfig(), logger });

const gateway = createGatewayApp({
  document,
  upstreams,
  logger,
  metrics,
  tracer: telemetry.tracer,
  upstreamTimeoutMs: config.upstreamTimeoutMs,
  upstreamMaxSockets: config.upstreamMaxSockets,
  readyTimeoutMs: config.readyTimeoutMs,
  limits: {
    requestTimeoutMs: config.httpRequestTimeoutMs,
    headersTimeoutMs: config.httpHeadersTimeoutMs,
    keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
    maxConnections: config.httpMaxConnections,
  },
  mounts: [{ path: "/console", handler: consoleRouter }],
});
logger.info({ upstreams, routes: gateway.routes.length }, "routing table read from the OpenAPI document");

await serve({
  logger,
  server: gateway.server,
  port: config.port,
  host: config.host,
  stop: async () => {
    gateway.close();
    await consoleRouter.close();
    await telemetry.shutdown();
  },
});
