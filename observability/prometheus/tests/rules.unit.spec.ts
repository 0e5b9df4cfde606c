// The Prometheus rules, checked the way Prometheus itself would: `promtool check rules` on every
// rule file, `promtool test rules` on every unit-test file; and every alert has a test that
// expects it to fire and one that expects it quiet.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const rulesDir = resolve(here, "../rules");
const promtool = process.env.PROMTOOL ?? "/usr/bin/promtool";
const missing = !existsSync(promtool);
if (missing)
  console.warn(`SKIPPED: promtool not found at ${promtool} (apt-get install prometheus, or set PROMTOOL)`);

const yamlFiles = (dir: string, suffix = ".yml") =>
  readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => join(dir, f));
const ruleFiles = yamlFiles(rulesDir);
const testFiles = yamlFiles(here, ".test.yml");

const run = (args: string[]) => {
  const r = spawnSync(promtool, args, { encoding: "utf8", cwd: here });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
};

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string }[];
}
const groupsOf = (file: string): RuleGroup[] =>
  (parse(readFileSync(file, "utf8")) as { groups: RuleGroup[] }).groups;

describe("Prometheus rules", () => {
  it("has rule files and test files", () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(testFiles.length).toBeGreaterThan(0);
  });

  describe.skipIf(missing)("promtool", () => {
    for (const file of ruleFiles) {
      it(`check rules ${file.slice(rulesDir.length + 1)}`, () => {
        const r = run(["check", "rules", file]);
        expect(r.status, r.output).toBe(0);
      });
    }
    for (const file of testFiles) {
      it(`test rules ${file.slice(here.length + 1)}`, { timeout: 60_000 }, () => {
        const r = run(["test", "rules", file]);
        expect(r.status, r.output).toBe(0);
        expect(r.output).toContain("SUCCESS");
      });
    }
  });

  it("tests every alert both firing and quiet, and loads every rule file in some test", () => {
    const alerts = ruleFiles.flatMap((f) => groupsOf(f).flatMap((g) => g.rules.filter((r) => r.alert)));
    expect(alerts.length).toBeGreaterThan(0);
    const firing = new Set<string>();
    const quiet = new Set<string>();
    const loaded = new Set<string>();
    for (const file of testFiles) {
      const doc = parse(readFileSync(file, "utf8")) as {
        rule_files: string[];
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      };
      for (const f of doc.rule_files) loaded.add(resolve(here, f));
      for (const t of doc.tests)
        for (const a of t.alert_rule_test ?? [])
          ((a.exp_alerts?.length ?? 0) > 0 ? firing : quiet).add(a.alertname);
    }
    for (const { alert } of alerts) {
      expect(firing.has(alert!), `${alert} has no test expecting it to fire`).toBe(true);
      expect(quiet.has(alert!), `${alert} has no test expecting it quiet`).toBe(true);
    }
    for (const file of ruleFiles) expect(loaded.has(file), `${file} is loaded by no test`).toBe(true);
  });

  it("names every alert EventscopeXxx with a severity and a summary", () => {
    for (const file of ruleFiles)
      for (const group of groupsOf(file))
        for (const rule of group.rules.filter((r) => r.alert)) {
          const r = rule as {
            alert: string;
            labels?: Record<string, string>;
            annotations?: Record<string, string>;
          };
          expect(r.alert).toMatch(/^Eventscope[A-Z]\w+$/);
          expect(["warning", "critical"]).toContain(r.labels?.severity);
          expect(r.annotations?.summary).toBeTruthy();
        }
  });
});
