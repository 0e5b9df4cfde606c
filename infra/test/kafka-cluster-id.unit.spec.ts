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
