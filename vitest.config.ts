import { defineConfig } from "vitest/config";

// Tiers by file name: *.unit.spec.ts beside the code, *.int.spec.ts against the real
// infrastructure (started by `make infra-up`), *.e2e.spec.ts against the running stack.
export default defineConfig({
  test: {
    include: ["**/*.spec.ts"],
    exclude: ["**/node_modules/**", ".eventscope/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ["default", "json"],
    outputFile: { json: ".eventscope/test-results.json" },
  },
});
