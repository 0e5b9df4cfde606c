// The native engine's remote write against the real Prometheus (its receiver enabled, as for
// k6): a counter and a histogram pushed twice land as series with their labels, and a rate()
// and a histogram_quantile() over them give what was pushed.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { LoadMetrics } from "./metrics.ts";
import { remoteWrite, snappyLiterals } from "./remote-write.ts";

const prometheus = process.env.PROMETHEUS_URL ?? "http://127.0.0.1:9090";

async function query(q: string, at: number) {
  const res = await fetch(
    `${prometheus}/api/v1/query?${new URLSearchParams({ query: q, time: String(at / 1000) })}`,
  );
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

describe("remote write", () => {
  it("lands the engine's series in Prometheus with their labels", async () => {
    const testid = `rw-${randomBytes(4).toString("hex")}`;
    const m = new LoadMetrics({ engine: "native", testid });
    const t0 = Date.now() - 20_000;
    for (let i = 0; i < 100; i++) {
      m.inc("loadgen_http_requests_total", {
        scenario: "load",
        kind: "write",
        name: "POST /api/events",
        status: "202",
      });
      m.observe(
        "loadgen_http_request_duration_seconds",
        { scenario: "load", kind: "write" },
        i < 90 ? 0.004 : 0.2,
      );
    }
    await remoteWrite(`${prometheus}/api/v1/write`, m.snapshot(t0));
    for (let i = 0; i < 100; i++) {
      m.inc("loadgen_http_requests_total", {
        scenario: "load",
        kind: "write",
        name: "POST /api/events",
        status: "202",
      });
      m.observe(
        "loadgen_http_request_duration_seconds",
        { scenario: "load", kind: "write" },
        i < 90 ? 0.004 : 0.2,
      );
    }
    await remoteWrite(`${prometheus}/api/v1/write`, m.snapshot(t0 + 10_000));

    const at = t0 + 10_000;
    const count = await query(`loadgen_http_requests_total{testid="${testid}"}`, at);
    expect(count).toHaveLength(1);
    expect(count[0]!.metric).toMatchObject({
      engine: "native",
      scenario: "load",
      status: "202",
      kind: "write",
    });
    expect(Number(count[0]!.value[1])).toBe(200);
    const rate = await query(`rate(loadgen_http_requests_total{testid="${testid}"}[15s])`, at);
    expect(Number(rate[0]!.value[1])).toBeCloseTo(10, 5);
    const p50 = await query(
      `histogram_quantile(0.5, sum by (le) (rate(loadgen_http_request_duration_seconds_bucket{testid="${testid}"}[15s])))`,
      at,
    );
    expect(Number(p50[0]!.value[1])).toBeGreaterThan(0.0025);
    expect(Number(p50[0]!.value[1])).toBeLessThanOrEqual(0.005);
  });

  it("splits a long payload into snappy literals of at most 64 KiB", () => {
    const data = Buffer.alloc(200_000, 7);
    const out = snappyLiterals(data);
    // Length varint (3 bytes) + 4 literals of 64 KiB at most, each with a 3-byte tag.
    expect(out.length).toBe(3 + data.length + 4 * 3);
  });
});
