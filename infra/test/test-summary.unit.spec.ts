import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { summarise, type VitestResults } from "../src/test-summary.ts";

const repo = "/work/checkout";
// The shape of vitest's JSON report (a failing test's entry as vitest 5 writes it), trimmed.
const results: VitestResults = {
  numTotalTests: 4,
  numPassedTests: 2,
  numFailedTests: 1,
  numPendingTests: 1,
  numTodoTests: 0,
  numFailedTestSuites: 2,
  testResults: [
    {
      name: `${repo}/loadtests/src/cpu.int.spec.ts`,
      status: "failed",
      message: "",
      assertionResults: [
        { fullName: "the JIT share finds the threads", status: "passed", failureMessages: [] },
        {
          fullName: "the JIT share samples it beside kafka",
          status: "failed",
          failureMessages: [
            "\u001b[31mAssertionError\u001b[39m: expected 31.4 to be less than or equal to 30.2\n    at /work/checkout/loadtests/src/cpu.int.spec.ts:35:22",
          ],
        },
      ],
    },
    {
      name: `${repo}/services/producer/test/broken.int.spec.ts`,
      status: "failed",
      message: "\nFailed to load url ./missing.ts (resolved id: ./missing.ts)\n    at loadAndTransform",
      assertionResults: [],
    },
    { name: `${repo}/infra/test/ok.unit.spec.ts`, status: "passed", assertionResults: [] },
  ],
};

describe("the summary of a vitest run", () => {
  it("counts what passed, failed and was skipped, and the files that failed", () => {
    expect(summarise(results, repo)).toMatchObject({
      total: 4,
      passed: 2,
      failed: 1,
      skipped: 1,
      failedFiles: 2,
    });
  });

  it("names each failed test by file and name, with its error's first line, colours stripped", () => {
    expect(summarise(results, repo).failures).toEqual([
      "✗ loadtests/src/cpu.int.spec.ts › the JIT share samples it beside kafka\n    AssertionError: expected 31.4 to be less than or equal to 30.2",
      "✗ services/producer/test/broken.int.spec.ts (the file failed)\n    Failed to load url ./missing.ts (resolved id: ./missing.ts)",
    ]);
  });

  it("cuts a long error line, and reads a report with nothing in it as zeros", () => {
    const long = summarise(
      {
        testResults: [
          {
            name: "x.spec.ts",
            assertionResults: [{ fullName: "t", status: "failed", failureMessages: ["E".repeat(500)] }],
          },
        ],
      },
      repo,
    );
    expect(long.failures[0]).toBe(`✗ x.spec.ts › t\n    ${"E".repeat(300)}`);
    expect(summarise({}, repo)).toEqual({
      total: 0,
      passed: 0,
      failed: 0,
      skipped: 0,
      failedFiles: 0,
      failures: [],
    });
  });

  it("prints the counts on its first line and the failures after, as make test reads them", () => {
    const file = join(mkdtempSync(join(tmpdir(), "test-summary-")), "results.json");
    writeFileSync(file, JSON.stringify(results));
    const script = resolve(import.meta.dirname, "../src/test-summary.ts");
    const out = execFileSync(process.execPath, [script, file, repo], { encoding: "utf8" })
      .trimEnd()
      .split("\n");
    expect(out[0]).toBe("4 2 1 1 2");
    expect(out[1]).toBe("✗ loadtests/src/cpu.int.spec.ts › the JIT share samples it beside kafka");
    expect(out).toHaveLength(5);
  });
});
