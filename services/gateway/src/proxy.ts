// One reverse proxy per configured upstream (http-proxy-middleware on httpxy). The target of
// each is fixed at start: nothing in a request can send it anywhere else. Bodies stream through
// untouched (nothing here parses them; each service keeps its own limits), redirects are
// answered to the client as they are, never followed, and an upstream that is silent for
// UPSTREAM_TIMEOUT_MS is cut off.
import {
  Agent as HttpAgent,
  ServerResponse as ServerResponseClass,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { createProxyMiddleware, type RequestHandler } from "http-proxy-middleware";

export interface UpstreamProxy {
  handle: RequestHandler<IncomingMessage, ServerResponse>;
  close(): void;
}

/** Set on a request whose upstream stayed silent past the timeout (the error then is a 504). */
export const timedOut = new WeakSet<IncomingMessage>();

export function createUpstreamProxy(
  target: string,
  options: {
    timeoutMs: number;
    maxSockets: number;
    /** Answers the client when the exchange with the upstream fails. */
    onError: (error: Error, req: IncomingMessage, res: ServerResponse) => void;
  },
): UpstreamProxy {
  // Kept-alive connections, closed when idle well before the services' own keep-alive timeout
  // (65 s), so a request never lands on a socket the service is closing.
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, timeout: 30_000 };
  const agent = target.startsWith("https:") ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const handle = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target,
    agent,
    changeOrigin: true,
    xfwd: true,
    followRedirects: false,
    proxyTimeout: options.timeoutMs,
    // No default plugins (their console logger, their plain-text 502): onError answers.
    ejectPlugins: true,
    plugins: [
      (server) => {
        server.on("proxyReq", (proxyReq, req) => {
          proxyReq.once("timeout", () => timedOut.add(req));
        });
        server.on("error", (error, req, res) => {
          if (req && res instanceof ServerResponseClass) options.onError(error, req, res);
          else res?.destroy();
        });
        // The client went away first: nothing to answer.
        server.on("econnreset", () => undefined);
      },
    ],
  });
  return { handle, close: () => agent.destroy() };
}
