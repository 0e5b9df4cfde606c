// The dashboards: the JSON files are what generate.ts renders, every Prometheus query of every
// panel passes promtool (as a recording rule in a scratch rule file), every data source is one the
// Grafana provisioning defines, histogram panels show exemplars, and the layouts do not overlap.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { checkVariables, dashboardsDir, exemplarHistograms, panelQueries, renderAll } from "./generate.ts";

const promtool = process.env.PROMTOOL ?? "/usr/bin/promtool";
const missing = !existsSync(promtool);
if (missing) console.warn(`SKIPPED promtool checks: promtool not found at ${promtool}`);

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr?: string; exemplar?: boolean; datasource?: { uid: string } }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { datasource?: { uid: string } }[] };
}

const files = readdirSync(dashboardsDir)
  .filter((f) => f.endsWith(".json"))
  .sort();
const dashboards = files.map((f) => JSON.parse(readFileSync(join(dashboardsDir, f), "utf8")) as Dashboard);
const provisioned = parse(
  readFileSync(
    resolve(dashboardsDir, "../observability/grafana/provisioning/datasources/datasources.yml"),
    "utf8",
  ),
) as {
  datasources: {
    uid: string;
    type: string;
    jsonData?: { exemplarTraceIdDestinations?: { name: string; datasourceUid: string }[] };
  }[];
};
const scratch = mkdtempSync(join(tmpdir(), "dashboards-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("dashboards", () => {
  it("are the files generate.ts writes (run `node dashboards/generate.ts` after a change)", () => {
    const rendered = renderAll();
    expect(files).toEqual(rendered.map((r) => r.file).sort());
    for (const { file, json } of rendered)
      expect(readFileSync(join(dashboardsDir, file), "utf8"), file).toBe(json);
  });

  it("cover event flow, latency, consumer lag, business, runtime and load runs, with unique uids", () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual(
      [
        "eventscope-business",
        "eventscope-consumer-lag",
        "eventscope-event-flow",
        "eventscope-load",
        "eventscope-latency",
        "eventscope-runtime",
      ].sort(),
    );
  });

  it("use only the provisioned data sources, by uid", () => {
    const uids = new Set(provisioned.datasources.map((d) => d.uid));
    expect(uids).toEqual(new Set(["prometheus", "jaeger"]));
    for (const d of dashboards) {
      for (const p of d.panels.filter((p) => p.type !== "row")) {
        expect(uids.has(p.datasource!.uid), `${d.title} / ${p.title}`).toBe(true);
        for (const t of p.targets ?? [])
          expect(t.datasource?.uid, `${d.title} / ${p.title}`).toBe(p.datasource!.uid);
      }
      for (const v of d.templating.list) if (v.datasource) expect(uids.has(v.datasource.uid)).toBe(true);
    }
  });

  it("show exemplars on every histogram query, and Grafana links exemplars' trace_id to Jaeger", () => {
    const all = panelQueries();
    const withExemplars = all.filter((q) => exemplarHistograms.some((m) => q.expr.includes(`${m}_bucket`)));
    expect(withExemplars.length).toBeGreaterThanOrEqual(12);
    for (const q of withExemplars) expect(q.exemplar, `${q.dashboard} / ${q.panel} ${q.refId}`).toBe(true);
    // ...and nowhere else: the other histograms record no exemplars.
    for (const q of all.filter((q) => !withExemplars.includes(q))) expect(q.exemplar, q.panel).toBe(false);
    const prometheus = provisioned.datasources.find((d) => d.uid === "prometheus")!;
    expect(prometheus.jsonData?.exemplarTraceIdDestinations).toContainEqual({
      name: "trace_id",
      datasourceUid: "jaeger",
    });
  });

  it("lay panels out on the 24-column grid without overlaps, with unique ids and at least one query each", () => {
    for (const d of dashboards) {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size, d.title).toBe(ids.length);
      const cells = new Set<string>();
      for (const p of d.panels) {
        const { x, y, w, h } = p.gridPos;
        expect(x + w, `${d.title} / ${p.title}`).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++)
          for (let j = y; j < y + h; j++) {
            const cell = `${i},${j}`;
            expect(cells.has(cell), `${d.title} / ${p.title} overlaps at ${cell}`).toBe(false);
            cells.add(cell);
          }
        if (p.type !== "row") expect(p.targets?.length ?? 0, `${d.title} / ${p.title}`).toBeGreaterThan(0);
      }
    }
  });

  it("replace every Grafana variable before a query is checked", () => {
    for (const q of panelQueries()) expect(q.promql, `${q.dashboard} / ${q.panel}`).not.toMatch(/\$\w+/);
    expect(Object.keys(checkVariables)).toContain("$__rate_interval");
  });

  it.skipIf(missing)("every panel query passes promtool (as a recording rule)", () => {
    const queries = panelQueries();
    const file = join(scratch, "panels.yml");
    writeFileSync(
      file,
      stringify({
        groups: [
          {
            name: "dashboard-panels",
            rules: queries.map((q, i) => ({ record: `panel:query_${i}:check`, expr: q.promql })),
          },
        ],
      }),
    );
    const r = spawnSync(promtool, ["check", "rules", file], { encoding: "utf8" });
    const output = `${r.stdout}${r.stderr}`;
    // promtool names the failing rule's index: map it back to its panel.
    const failing = [...output.matchAll(/query_(\d+)/g)].map((m) => queries[Number(m[1])]);
    expect(
      r.status,
      `${output}\n${failing.map((q) => `${q?.dashboard} / ${q?.panel}: ${q?.promql}`).join("\n")}`,
    ).toBe(0);
    expect(output).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});
