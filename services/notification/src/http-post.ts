// One bounded HTTP POST, for webhooks and the SMS and push providers: the whole attempt within
// a timeout, redirects never followed (a 3xx would re-send the signed body wherever the
// receiver points it), and at most `maxResponseBytes` of the answer read, none of it kept: a
// receiver answering 256 MiB costs the service one socket buffer, not 256 MiB.
import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { EventscopeError } from "@eventscope/contracts";

export interface PostResult {
  status: number;
  /** The Location of a redirect, when the answer is one. */
  location: string | undefined;
  /** Bytes of the answer read (at most the limit, plus the chunk that crossed it). */
  bytesRead: number;
  /** True when the answer was longer than the limit and the rest was left unread. */
  truncated: boolean;
}

/** An attempt cut short here (the timeout); its code is the socket error's it stands for. */
export class PostError extends EventscopeError {
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, { code, retriable: true, cause: options?.cause });
    this.name = "PostError";
  }
}

export interface PostOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  /** Resolves the host (and checks what it resolves to) for the socket. */
  lookup?: RequestOptions["lookup"];
}

export interface HttpPoster {
  post(url: URL, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostResult>;
  close(): void;
}

export function createHttpPoster(): HttpPoster {
  // Keep-alive: a pooled socket was connected to an address checked when it was opened.
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  return {
    post: (url, body, headers, options) =>
      new Promise<PostResult>((resolve, reject) => {
        const https = url.protocol === "https:";
        const send = https ? httpsRequest : httpRequest;
        const request = send(url, {
          method: "POST",
          agent: https ? agents.https : agents.http,
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
          ...(options.lookup ? { lookup: options.lookup } : {}),
        });
        const timer = setTimeout(
          () => request.destroy(new PostError(`timed out after ${options.timeoutMs} ms`, "ETIMEDOUT")),
          options.timeoutMs,
        );
        const settle = (result: PostResult | Error) => {
          clearTimeout(timer);
          if (result instanceof Error) reject(result);
          else resolve(result);
        };
        // Socket errors as they are (ECONNREFUSED, or what the lookup refused), the timeout as a PostError.
        request.on("error", settle);
        request.on("response", (response) => {
          const header = response.headers.location;
          let bytesRead = 0;
          const done = (truncated: boolean) =>
            settle({ status: response.statusCode ?? 0, location: header, bytesRead, truncated });
          response.on("data", (chunk: Buffer) => {
            bytesRead += chunk.length;
            if (bytesRead <= options.maxResponseBytes) return;
            // Enough: the socket goes, so nothing more is read (and it is not reused).
            response.removeAllListeners("data");
            response.destroy();
            request.destroy();
            done(true);
          });
          response.on("end", () => done(false));
          response.on("error", () => done(true));
        });
        request.end(body);
      }),
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
