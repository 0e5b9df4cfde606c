import { describe, expect, it } from "vitest";
import { ConfigError, int, list, readConfig } from "./config.ts";

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
