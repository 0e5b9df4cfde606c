// Every dashboard panel has data after traffic: Grafana cannot run here, so each panel's queries
// (extracted from dashboards/generate.ts, Grafana's variables replaced) are run against the live
// Prometheus as the panel would over the last 10 minutes, and the Jaeger panel's search against
// Jaeger. Needs the stack running (`make up`) and Prometheus loading observability/prometheus/rules
// (the recording-rule panels).
//
// The load dashboard's panels are looked at over the last run of the native engine (remote
// write, engine="native"); when none wrote in the last 10 minutes, a short native smoke run
// writes them first. Everything must return data.
import { beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@eventscope/testkit";
import { runScenario } from "../../loadtests/src/run.ts";
import { dashboardSpecs, panelQueries, type PanelQuery } from "../../dashboards/generate.ts";
import { orderLifecycle, promQuery, promRange, scrapedSince, urls } from "./support.ts";

const hasData = (series: { values?: [number, string][] }[]) =>
  series.some((s) => (s.values ?? []).some(([, v]) => Number.isFinite(Number(v))));

const exempt = new Set<string>();
/** The load panels are looked at over the last native run (it may be over). */
let loadEnd = Date.now();
const lastNativeRun = async () =>
  promQuery('max(timestamp(last_over_time(loadgen_http_requests_total{engine="native"}[10m])))');

beforeAll(async () => {
  // Traffic twice, with scrapes between: on a freshly started stack a histogram series is first
  // scraped with its whole count, and a rate() needs a later sample that grew.
  const first = Date.now();
  await orderLifecycle();
  await scrapedSince(first);
  const started = Date.now();
  await orderLifecycle();
  // Two scrapes after the traffic, and one more rule evaluation for the recorded series.
  await scrapedSince(started);
  await new Promise((r) => setTimeout(r, 6000));
  let last = await lastNativeRun();
  if (last.length === 0) {
    await runScenario({
      scenario: "smoke",
      duration: "4s",
      engine: "native",
      quiet: true,
      drainTimeoutMs: 30_000,
    });
    last = await lastNativeRun();
  }
  expect(last.length, "a native load run wrote its metrics to Prometheus").toBeGreaterThan(0);
  loadEnd = Number(last[0]!.value![1]) * 1000 + 30_000;
  const required = new Set(panelQueries().flatMap((q) => (q.requires ? [q.requires] : [])));
  for (const metric of required) {
    const present = (await promRange(`count(last_over_time(${metric}[10m]))`, 10, loadEnd)).length > 0;
    if (!present) exempt.add(metric);
  }
}, 240_000);

describe("every dashboard panel returns data from the live Prometheus after traffic", () => {
  for (const spec of dashboardSpecs) {
    describe(spec.title, () => {
      const queries = panelQueries().filter((q) => q.dashboard === spec.title);
      for (const q of queries) {
        it(`${q.panel} [${q.refId}]`, async () => {
          expect(q.requires && exempt.has(q.requires), `the native run wrote ${q.requires}`).toBeFalsy();
          const series = await waitFor(
            async () => {
              const result = await promRange(q.promql, 10, q.requires ? loadEnd : Date.now());
              return hasData(result) ? result : undefined;
            },
            20_000,
            `data for ${describeQuery(q)}`,
          );
          expect(series.length).toBeGreaterThan(0);
        });
      }
      for (const panel of spec.panels.filter((p) => "kind" in p && p.kind === "traces")) {
        const jaeger = (panel as { jaeger: { service: string; limit: number } }).jaeger;
        it(`${(panel as { title: string }).title} [Jaeger search]`, async () => {
          const res = await fetch(
            `${urls.jaeger}/api/traces?${new URLSearchParams({ service: jaeger.service, limit: String(jaeger.limit), lookback: "1h" })}`,
          );
          const body = (await res.json()) as { data: unknown[] };
          expect(body.data.length).toBeGreaterThan(0);
        });
      }
    });
  }
});

it("checks every query of every panel (none forgotten)", () => {
  const panels = dashboardSpecs.flatMap((d) => d.panels.filter((p) => "kind" in p));
  expect(panels.length).toBeGreaterThan(40);
  expect(panelQueries().length).toBeGreaterThan(panels.length);
});

const describeQuery = (q: PanelQuery) => `${q.dashboard} / ${q.panel} [${q.refId}]: ${q.promql}`;
