// The summary of a vitest run from its JSON report: `node infra/src/test-summary.ts <results.json>
// <repo dir>` prints the counts (total passed failed skipped failed-files) on its first line, then
// each failed test by file and name with the first line of its error. infra/run-tests.sh prints
// those just above its `N passed, N failed` line, so a log read from its tail names what failed.
import { readFileSync } from "node:fs";

/** The parts of vitest's JSON report (its jest-compatible shape) the summary reads. */
export interface VitestResults {
  numTotalTests?: number;
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  numFailedTestSuites?: number;
  testResults?: {
    name?: string;
    status?: string;
    message?: string;
    assertionResults?: { fullName?: string; status?: string; failureMessages?: string[] }[];
  }[];
}

export interface TestSummary {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  failedFiles: number;
  /** "✗ <file> › <test>" then the first line of its error, indented; a file that failed to run as a whole too. */
  failures: string[];
}

/** The first non-blank line of an error message, without terminal colours, at most 300 characters. */
const firstLine = (message: string | undefined): string =>
  (
    (message ?? "")
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;]*m/g, "")
      .split("\n")
      .find((l) => l.trim()) ?? ""
  )
    .trim()
    .slice(0, 300);

export function summarise(r: VitestResults, repoDir: string): TestSummary {
  const failures: string[] = [];
  for (const f of r.testResults ?? []) {
    const file = (f.name ?? "").replace(`${repoDir}/`, "");
    const failed = (f.assertionResults ?? []).filter((a) => a.status === "failed");
    for (const a of failed)
      failures.push(`✗ ${file} › ${a.fullName}\n    ${firstLine(a.failureMessages?.[0])}`);
    if (failed.length === 0 && f.status === "failed")
      failures.push(`✗ ${file} (the file failed)\n    ${firstLine(f.message)}`);
  }
  return {
    total: r.numTotalTests ?? 0,
    passed: r.numPassedTests ?? 0,
    failed: r.numFailedTests ?? 0,
    skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
    failedFiles: r.numFailedTestSuites ?? 0,
    failures,
  };
}

if (import.meta.main) {
  const [results, repoDir] = process.argv.slice(2);
  const s = summarise(JSON.parse(readFileSync(results!, "utf8")) as VitestResults, repoDir ?? process.cwd());
  console.log([s.total, s.passed, s.failed, s.skipped, s.failedFiles].join(" "));
  for (const line of s.failures) console.log(line);
}
