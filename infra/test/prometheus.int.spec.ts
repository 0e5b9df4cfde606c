import { describe, expect, it } from "vitest";
import { testEnv } from "../src/test-env.ts";

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string): Promise<VectorResult[]> {
  const res = await fetch(`${testEnv.prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { status: string; data: { resultType: string; result: VectorResult[] } };
  expect(body.status).toBe("success");
  return body.data.result;
}

/** Polls until the query returns a sample with this value (a fresh Prometheus needs one scrape). */
async function eventually(promql: string, value: string, timeoutMs = 20_000): Promise<VectorResult[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await query(promql);
    if (result.length > 0 && result.every((r) => r.value[1] === value)) return result;
    if (Date.now() > deadline) return result;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("Prometheus", () => {
  it("scrapes itself successfully", async () => {
    const result = await eventually('up{job="prometheus"}', "1");
    expect(result.map((r) => r.value[1])).toEqual(["1"]);
  });

  it("scrapes Jaeger's own metrics successfully", async () => {
    const result = await eventually('up{job="jaeger"}', "1");
    expect(result.map((r) => r.value[1])).toEqual(["1"]);
  });

  it("has a scrape target for each of the four services on /metrics", async () => {
    const res = await fetch(`${testEnv.prometheusUrl}/api/v1/targets?state=any`);
    const body = (await res.json()) as {
      data: { activeTargets: { labels: Record<string, string>; scrapeUrl: string }[] };
    };
    const byJob = new Map(body.data.activeTargets.map((t) => [t.labels.job, t.scrapeUrl]));
    for (const job of ["producer", "event-store", "projection", "notification"]) {
      expect(byJob.get(job), job).toMatch(/\/metrics$/);
    }
  });

  it("accepts remote-write (the receiver the load engines use, native and k6, is enabled)", async () => {
    // An empty body is not a valid write request: 400 means the receiver exists (404 if disabled).
    const res = await fetch(`${testEnv.prometheusUrl}/api/v1/write`, { method: "POST", body: "" });
    expect(res.status).toBe(400);
  });
});
