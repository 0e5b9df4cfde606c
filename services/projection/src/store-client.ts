// The projection's reads of the event store, over its HTTP API only (never its tables): event
// status for read-your-writes, streams for as-of documents, the registry for rebuilds.
import { ProblemError, unavailable } from "@eventscope/platform";

export interface StoreClient {
  /** GET a JSON answer; 404 and 410 come back as `{ status, body }`, other failures throw. */
  get<T>(path: string, timeoutMs?: number): Promise<{ status: number; body: T }>;
}

export function createStoreClient(url: string, apiKey: string | undefined): StoreClient {
  const headers: Record<string, string> = apiKey ? { "x-api-key": apiKey } : {};
  return {
    async get<T>(path: string, timeoutMs = 5000) {
      let res: Response;
      try {
        res = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        throw unavailable("the event store could not be asked", 1, error);
      }
      const body = (await res.json().catch(() => undefined)) as T;
      if (res.ok || res.status === 404 || res.status === 410) return { status: res.status, body };
      throw new ProblemError(`the event store answered ${res.status}`, {
        code: "UNAVAILABLE",
        status: 503,
        retriable: true,
        retryAfterSeconds: 1,
      });
    },
  };
}
