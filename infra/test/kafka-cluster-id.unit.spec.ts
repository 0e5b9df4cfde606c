import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const kafkaSh = fileURLToPath(new URL("../native/kafka.sh", import.meta.url));

describe("the native Kafka's cluster id", () => {
  it("is 22 base64url characters that never start with '-' (StorageTool would take it for an option)", () => {
    // One id in 64 would start with "-" if drawn once: 500 draws catch that all but never.
    const script = `EVENTSCOPE_CACHE=/nonexistent DATA_DIR=/nonexistent EVENTSCOPE_HOME=/nonexistent; source "$1"; for i in $(seq 500); do kafka_cluster_id; done`;
    const ids = execFileSync("bash", ["-c", script, "bash", kafkaSh], { encoding: "utf8" })
      .trim()
      .split("\n");
    expect(ids).toHaveLength(500);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(500);
  });
});

describe("the native Kafka's JIT (KAFKA_JIT)", () => {
  const common = fileURLToPath(new URL("../native/common.sh", import.meta.url));
  const jitOpts = (value: string | undefined) => {
    const set = value === undefined ? "unset KAFKA_JIT" : `export KAFKA_JIT='${value}'`;
    const script = `${set}; EVENTSCOPE_HOME=/nonexistent EVENTSCOPE_CACHE=/nonexistent; source "$1"; DATA_DIR=/nonexistent; source "$2"; kafka_jit_opts`;
    try {
      return {
        out: execFileSync("bash", ["-c", script, "bash", common, kafkaSh], {
          encoding: "utf8",
          stdio: "pipe",
        }).trim(),
        code: 0,
      };
    } catch (error) {
      const e = error as { status: number; stderr: Buffer | string };
      return { out: String(e.stderr), code: e.status };
    }
  };

  it("compiles with the client compiler only by default, with the usual tiers for c2", () => {
    expect(jitOpts(undefined)).toEqual({ out: "-XX:TieredStopAtLevel=1", code: 0 });
    expect(jitOpts("c1")).toEqual({ out: "-XX:TieredStopAtLevel=1", code: 0 });
    expect(jitOpts("c2")).toEqual({ out: "", code: 0 });
    // Empty is unset: the default.
    expect(jitOpts("")).toEqual({ out: "-XX:TieredStopAtLevel=1", code: 0 });
  });

  it("refuses anything else, naming the variable", () => {
    for (const bad of ["C1", "server", "c1 -XX:+PrintCompilation"]) {
      const r = jitOpts(bad);
      expect(r.code, bad).toBe(1);
      expect(r.out).toContain(`KAFKA_JIT: "${bad}" is not c1 or c2`);
    }
  });
});
