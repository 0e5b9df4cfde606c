/** Range and instant queries against Prometheus (the load engines' remote-write metrics and the platform's). */

export type Point = [t: number, v: number];

export interface Series {
  labels: Record<string, string>;
  points: Point[];
}

interface PromResponse {
  status: string;
  error?: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[];
  };
}

export class Prometheus {
  readonly url: string;

  constructor(url = process.env.PROMETHEUS_URL ?? "http://127.0.0.1:9090") {
    this.url = url;
  }

  private async get(path: string, params: Record<string, string>): Promise<PromResponse> {
    const qs = new URLSearchParams(params).toString();
    const res = await fetch(`${this.url}${path}?${qs}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as PromResponse;
    if (body.status !== "success") throw new Error(`prometheus: ${body.error ?? res.status}`);
    return body;
  }

  /** Points in epoch ms; NaN and infinities dropped. */
  async range(query: string, startMs: number, endMs: number, stepSeconds: number): Promise<Series[]> {
    const body = await this.get("/api/v1/query_range", {
      query,
      start: String(startMs / 1000),
      end: String(endMs / 1000),
      step: String(stepSeconds),
    });
    return (body.data?.result ?? []).map((r) => ({
      labels: r.metric,
      points: (r.values ?? [])
        .map(([t, v]): Point => [t * 1000, Number(v)])
        .filter(([, v]) => Number.isFinite(v)),
    }));
  }

  async instant(query: string, atMs: number): Promise<{ labels: Record<string, string>; value: number }[]> {
    const body = await this.get("/api/v1/query", { query, time: String(atMs / 1000) });
    return (body.data?.result ?? [])
      .map((r) => ({ labels: r.metric, value: Number(r.value?.[1]) }))
      .filter((r) => Number.isFinite(r.value));
  }

  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }
}
