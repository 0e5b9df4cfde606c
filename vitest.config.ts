import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Test tiers by file name: *.unit.spec.ts beside the code (no infrastructure),
// *.int.spec.ts against the real Kafka, PostgreSQL, Prometheus, Jaeger and SMTP server
// (started by `make infra-up`), *.e2e.spec.ts against the whole running stack.
const exclude = ["**/node_modules/**", ".eventscope/**"];

export default defineConfig({
  test: {
    reporters: ["default", "json"],
    outputFile: { json: join(process.env.EVENTSCOPE_HOME ?? ".eventscope", "test-results.json") },
    projects: [
      // Generous timeouts: these 2-core machines are shared and a busy moment must not fail a test.
      { test: { name: "unit", include: ["**/*.unit.spec.ts"], exclude, testTimeout: 30_000 } },
      {
        test: {
          name: "int",
          include: ["**/*.int.spec.ts"],
          exclude,
          globalSetup: ["packages/testkit/src/global-setup.ts", "infra/test/global-setup.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["**/*.e2e.spec.ts"],
          exclude,
          globalSetup: ["infra/test/global-setup.ts"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
