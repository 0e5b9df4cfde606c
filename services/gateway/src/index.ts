export { createGatewayApp, ATTR_GATEWAY_UPSTREAM, type GatewayApp, type GatewayDeps } from "./app.ts";
export { gatewaySettings, readGatewayConfig, upstreamUrls, type GatewayConfig } from "./config.ts";
export { gatewayDocument, readOpenApi } from "./openapi.ts";
export { matchRoute, routesFromOpenApi, upstreamNames, type GatewayRoute, type Upstream } from "./routes.ts";
