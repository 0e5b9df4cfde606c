/**
 * vitest globalSetup of the `int` and `e2e` projects: every infrastructure part must answer
 * within a few seconds, else the run stops at once with what is missing and how to start it.
 */
import { checkInfrastructure } from "../src/health.ts";
import { loadTestEnv } from "../src/test-env.ts";

export default async function setup(): Promise<void> {
  // Read now: the testkit's setup may have pointed KAFKA_BROKERS and DATABASE_URL at containers.
  const results = await checkInfrastructure(loadTestEnv(process.env), 5000);
  const down = results.filter((r) => !r.ok);
  if (down.length > 0) {
    const lines = down.map((r) => `  - ${r.part} at ${r.target}: ${r.detail}`);
    throw new Error(
      `The infrastructure is not running (${down.map((r) => r.part).join(", ")} did not answer):\n` +
        `${lines.join("\n")}\n` +
        "Run `make infra-up` first (then `make infra-status` to see each part).",
    );
  }
}
