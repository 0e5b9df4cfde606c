import { describe, expect, it } from "vitest";
import { commonSettings, ConfigError, int, list, readConfig } from "./config.ts";

const spec = {
  port: { env: "PORT", default: 8081, parse: int, description: "port" },
  keys: { env: "KEYS", default: [] as string[], parse: list, description: "keys" },
  name: { env: "NAME", default: "x", description: "name" },
};

describe("readConfig", () => {
  it("takes an explicit option over the environment and the environment over the default", () => {
    expect(readConfig(spec, {}).port).toBe(8081);
    expect(readConfig(spec, { PORT: "9000" }).port).toBe(9000);
    expect(readConfig(spec, { PORT: "9000" }, { port: 7000 }).port).toBe(7000);
    expect(readConfig(spec, { KEYS: "a, b,," }).keys).toEqual(["a", "b"]);
  });

  it("names the variable whose value cannot be parsed", () => {
    expect(() => readConfig(spec, { PORT: "eighty" })).toThrow(ConfigError);
    expect(() => readConfig(spec, { PORT: "eighty" })).toThrow(/^PORT: expected an integer/);
  });
});

describe("the lag monitor's settings", () => {
  const lag = {
    lagSampleIntervalMs: commonSettings.lagSampleIntervalMs,
    lagWindowSamples: commonSettings.lagWindowSamples,
    lagStuckAfterMs: commonSettings.lagStuckAfterMs,
  };

  it("default to a sample a second, a window of 10 and stuck after 60 s, and take the environment's", () => {
    expect(readConfig(lag, {})).toEqual({
      lagSampleIntervalMs: 1000,
      lagWindowSamples: 10,
      lagStuckAfterMs: 60_000,
    });
    expect(readConfig(lag, { LAG_STUCK_AFTER_MS: "2000" }).lagStuckAfterMs).toBe(2000);
  });

  it("refuse a value that is not a positive integer, naming the variable", () => {
    for (const [env, raw] of [
      ["LAG_SAMPLE_INTERVAL_MS", "0"],
      ["LAG_WINDOW_SAMPLES", "-3"],
      ["LAG_STUCK_AFTER_MS", "1m"],
      ["LAG_STUCK_AFTER_MS", "1.5"],
    ] as const)
      expect(() => readConfig(lag, { [env]: raw })).toThrow(new RegExp(`^${env}: expected a`));
  });
});
