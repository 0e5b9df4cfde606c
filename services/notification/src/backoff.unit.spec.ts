import { describe, expect, it } from "vitest";
import { afterFailure, backoffBoundMs, retryDelayMs } from "./backoff.ts";

const policy = { maxAttempts: 5, baseMs: 500, maxMs: 60_000 };

describe("retry backoff", () => {
  it("doubles the bound per attempt from the base and caps it", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffBoundMs(n, policy))).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(backoffBoundMs(20, policy)).toBe(60_000);
  });

  it("draws the wait uniformly from zero up to the bound (full jitter)", () => {
    expect(retryDelayMs(3, policy, () => 0)).toBe(0);
    expect(retryDelayMs(3, policy, () => 0.5)).toBe(1000);
    expect(retryDelayMs(3, policy, () => 0.999999)).toBe(2000);
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs(12, policy);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(60_000);
    }
  });

  it("retries until the attempts are used up, then gives the delivery up as dead", () => {
    expect(afterFailure(1, policy, () => 0.9999999)).toEqual({ status: "retrying", delayMs: 500 });
    expect(afterFailure(4, policy, () => 0.9999999)).toEqual({ status: "retrying", delayMs: 4000 });
    expect(afterFailure(5, policy)).toEqual({ status: "dead" });
    expect(afterFailure(6, policy)).toEqual({ status: "dead" });
  });
});
