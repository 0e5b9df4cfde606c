// The console's only way out: requests to the upstreams it was configured with. A path is
// built here from fixed segments and encoded values, never taken from the user, so a request
// can reach nothing but those bases. Each answer is bounded in time and size; the caller's
// X-API-Key is forwarded so the services, not the console, decide what it may read or do.
import { ProblemError, unavailable } from "@eventscope/platform";

export const upstreamNames = [
  "event-store",
  "projection",
  "notification",
  "process-manager",
  "prometheus",
  "jaeger",
] as const;
export type UpstreamName = (typeof upstreamNames)[number];

export interface UpstreamAnswer {
  status: number;
  body: any;
}

export interface UpstreamRequest {
  /** Path segments, each encoded; a string segment with "/" is a fixed literal of the console. */
  path: (string | { value: string })[];
  query?: Record<string, string | number | undefined>;
  method?: "GET" | "POST";
  apiKey?: string | undefined;
}

export interface Upstreams {
  call(name: UpstreamName, request: UpstreamRequest): Promise<UpstreamAnswer>;
  /** The answer's body when it is 2xx; the upstream's own problem (401, 403, 404, ...) otherwise. */
  json(name: UpstreamName, request: UpstreamRequest): Promise<any>;
}

const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export function upstreamUrl(base: string, request: UpstreamRequest): URL {
  const path = request.path
    .map((segment) => (typeof segment === "string" ? segment : encodeURIComponent(segment.value)))
    .join("");
  const url = new URL(base.replace(/\/+$/, "") + path);
  for (const [k, v] of Object.entries(request.query ?? {}))
    if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}

async function readBounded(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ProblemError(`the answer was larger than ${limit} bytes`, {
        code: "UPSTREAM_TOO_LARGE",
        status: 502,
      });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function createUpstreams(bases: Record<UpstreamName, string>, timeoutMs: number): Upstreams {
  async function call(name: UpstreamName, request: UpstreamRequest): Promise<UpstreamAnswer> {
    const url = upstreamUrl(bases[name], request);
    const headers: Record<string, string> = { accept: "application/json" };
    if (request.apiKey) headers["x-api-key"] = request.apiKey;
    let response: Response;
    try {
      response = await fetch(url, {
        method: request.method ?? "GET",
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw unavailable(`${name} did not answer within ${timeoutMs} ms`, 2, error);
    }
    const text = await readBounded(response, MAX_ANSWER_BYTES);
    let body: unknown = text;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, body };
  }
  return {
    call,
    async json(name, request) {
      const answer = await call(name, request);
      if (answer.status >= 200 && answer.status < 300) return answer.body;
      throw upstreamProblem(name, answer);
    },
  };
}

/** An upstream's refusal, passed on with its status (a 401 or 403 stays one) and its detail. */
export function upstreamProblem(name: UpstreamName, answer: UpstreamAnswer): ProblemError {
  const problem = (typeof answer.body === "object" && answer.body) || {};
  const status = answer.status >= 400 && answer.status < 600 ? answer.status : 502;
  return new ProblemError(`${name}: ${String(problem.detail ?? `answered ${answer.status}`).slice(0, 500)}`, {
    code: typeof problem.code === "string" ? problem.code : "UPSTREAM_ERROR",
    status,
    retriable: status >= 500,
    problems: Array.isArray(problem.errors) ? problem.errors.slice(0, 20) : [],
    extra: { upstream: name },
  });
}
