/**
 * The HTML report in a real browser (Debian's chromium through playwright-core): the charts are
 * drawn with data, the page needs nothing from the network, no console errors, the hover
 * read-out works, the trace links point at Jaeger. Keeps a screenshot of each page checked.
 *
 *  1. From a fixture: report.json of a real run (`make load SCENARIO=load RATE=1000
 *     DURATION=60s` on the shared 2-core box), rendered with today's renderer.
 *     UPDATE_EXAMPLE=1 also refreshes example.png.
 *  2. From a small real run (smoke, ~10 s) when the whole stack answers (`make up`); skipped
 *     otherwise, with the reason.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openReport, type OpenedReport } from "../src/browser.ts";
import { runCost } from "../src/cost.ts";
import { renderHtml } from "../src/html.ts";
import { fmtMs } from "../src/stats.ts";
import type { Report } from "../src/model.ts";
import { repoRoot, runScenario } from "../src/run.ts";

const here = import.meta.dirname;
const outDir = resolve(repoRoot, ".eventscope", "report-test");

async function stackReady(): Promise<boolean> {
  const urls = [8081, 8082, 8083, 8084].map((p) => `http://127.0.0.1:${p}/health/ready`);
  try {
    const answers = await Promise.all(urls.map((u) => fetch(u, { signal: AbortSignal.timeout(2000) })));
    return answers.every((a) => a.ok);
  } catch {
    return false;
  }
}

const opened: OpenedReport[] = [];
afterAll(async () => {
  for (const o of opened) await o.browser.close();
});

/** Every check a report page must pass; returns the number of drawn series. */
async function checkPage(htmlPath: string, report: Report, png: string): Promise<void> {
  const o = await openReport(htmlPath);
  opened.push(o);
  const { page } = o;

  // Verdict and the tiles.
  const verdict = page.locator(".verdict");
  await expect(verdict.textContent()).resolves.toMatch(report.passed ? /PASSED/ : /FAILED/);
  expect(await page.locator(".tile").count()).toBeGreaterThanOrEqual(9);
  // The average and the maximum of the HTTP latency beside the percentiles, as users quote them.
  const tileValue = async (label: string) => {
    const tile = page.locator(".tile", {
      has: page.locator(".label", { hasText: new RegExp(`^${label}$`) }),
    });
    await expect(tile.count(), label).resolves.toBe(1);
    return tile.locator(".value").textContent();
  };
  await expect(tileValue("HTTP average")).resolves.toBe(fmtMs(report.http.avg));
  await expect(tileValue("HTTP max")).resolves.toBe(fmtMs(report.http.max));
  await expect(tileValue("HTTP p50")).resolves.toBe(fmtMs(report.http.p50));
  expect(fmtMs(report.http.max)).toMatch(/^\d+(\.\d+)? (ms|s)$/);

  // What an event cost: the tile, a bar per part, a row per part (the fixture's cost is worked
  // out from its own series, as a fresh run's is).
  const cost = report.cost!;
  await expect(tileValue("Stack CPU / event")).resolves.toBe(fmtMs(cost.loadAndDrain.stack.msPerEvent));
  const bars = cost.loadAndDrain.parts.filter((p) => (p.msPerEvent ?? 0) >= 0.005).length;
  expect(bars).toBeGreaterThan(3);
  expect(await page.locator("#chart-cost svg rect.bar").count()).toBe(bars);
  // A row per part, and under a JVM's row (Kafka, natively) what its JIT compiler took of it.
  const jitParts = (cost.jit ?? []).filter((j) => cost.loadAndDrain.parts.some((p) => p.name === j.part));
  expect(await page.locator("#cost-table tbody tr").count()).toBe(
    cost.loadAndDrain.parts.length + jitParts.length,
  );
  expect(await page.locator("#cost-table tbody tr.jit").count()).toBe(jitParts.length);

  // The charts that must carry data in any run: latency, throughput, lag (messages), e2e, the
  // e2e distribution, CPU. A line is a path with at least two points.
  const mustDraw = ["chart-latency", "chart-throughput", "chart-lag", "chart-e2e", "chart-cpu"];
  for (const id of mustDraw) {
    const fig = page.locator(`#${id}`);
    await expect(fig.count()).resolves.toBe(1);
    const paths = await fig
      .locator("svg path.series")
      .evaluateAll((els) =>
        els.map((e) => ({ d: e.getAttribute("d") ?? "", name: e.getAttribute("data-series") })),
      );
    const withData = paths.filter((p) => (p.d.match(/[LH]/g) ?? []).length >= 2);
    expect(
      withData.length,
      `${id} has drawn lines (${JSON.stringify(paths.map((p) => p.name))})`,
    ).toBeGreaterThan(0);
    // Every coordinate is a number (no NaN from an empty domain).
    for (const p of withData) expect(p.d).not.toMatch(/NaN|Infinity/);
  }
  const dots = await page.locator("#chart-e2e svg g.series circle").count();
  expect(dots).toBe(report.series.e2eSamples.length);
  expect(await page.locator("#chart-e2e-dist svg rect.bar").count()).toBe(5);

  // Thresholds table: one row per threshold; failed ones marked.
  expect(await page.locator("h2:has-text('Thresholds') + table tbody tr").count()).toBe(
    report.thresholds.length,
  );
  expect(await page.locator("h2:has-text('Thresholds') + table tbody tr.bad").count()).toBe(
    report.thresholds.filter((t) => !t.ok).length,
  );

  // Slowest events link to their traces in Jaeger.
  const links = await page
    .locator("a[href*='/trace/']")
    .evaluateAll((els) => els.map((e) => e.getAttribute("href")));
  expect(links.length).toBeGreaterThan(0);
  for (const href of links) expect(href).toMatch(/^http:\/\/127\.0\.0\.1:16686\/trace\/[0-9a-f]{32}$/);

  // The hover read-out.
  const hover = page.locator("#chart-latency rect.hover");
  await hover.scrollIntoViewIfNeeded(); // below the fold, under the tiles and the cost
  const box = await hover.boundingBox();
  expect(box).not.toBeNull();
  await page.mouse.move(box!.x + box!.width * 0.5, box!.y + box!.height * 0.5);
  const tip = page.locator("#chart-latency .tip");
  await expect(tip.isVisible()).resolves.toBe(true);
  await expect(tip.textContent()).resolves.toMatch(/t\+\d+(\.\d)? s/);
  await page.mouse.move(0, 0);

  // Self-contained and clean.
  expect(o.requests, "the page fetched nothing from the network").toEqual([]);
  expect(o.errors, "no console or page errors").toEqual([]);
  await page.screenshot({ path: png, fullPage: true });
}

describe("the HTML report in headless Chromium", () => {
  it("renders a real run's report (fixture) with charts, links and no errors", async () => {
    const recorded = JSON.parse(await readFile(join(here, "fixture", "report.json"), "utf8")) as Report;
    // Recorded before reports said what an event cost: worked out from its own CPU series.
    const report: Report = {
      ...recorded,
      cost: runCost(
        recorded.series.cpu,
        recorded.times,
        { accepted: recorded.http.accepted, stored: recorded.ledger?.stored ?? null },
        recorded.machine.cpus,
      ),
    };
    await mkdir(outDir, { recursive: true });
    const html = join(outDir, "fixture.html");
    await writeFile(html, renderHtml(report));
    const png = join(outDir, "fixture.png");
    await checkPage(html, report, png);
    if (process.env.UPDATE_EXAMPLE === "1") await copyFile(png, join(here, "example.png"));
  });

  it("renders the report of a small real run", async (ctx) => {
    if (!(await stackReady())) {
      ctx.skip("the stack is not running (make up): the fixture test above still covers the page");
      return;
    }
    const figures = await runScenario({
      scenario: "smoke",
      duration: "6s",
      engine: "native",
      quiet: true,
      drainTimeoutMs: 60_000,
    });
    const report = JSON.parse(await readFile(figures.reportJson, "utf8")) as Report;
    // A fresh run records the average (the fixture predates it: its tile shows "-").
    expect(report.http.avg).toBeGreaterThan(0);
    expect(report.http.avg!).toBeLessThanOrEqual(report.http.max!);
    expect(report.ledger?.lost).toBe(0);
    expect(report.ledger?.duplicated).toBe(0);
    // What an event cost beside the latencies; on a native stack (its pid files) every part sampled.
    expect(report.cost?.loadAndDrain.samples).toBeGreaterThan(0);
    expect(figures.stackCpuMsPerEvent).toBe(report.cost?.loadAndDrain.stack.msPerEvent ?? null);
    if (existsSync(join(repoRoot, ".eventscope", "run", "kafka.pid"))) {
      expect(report.cost?.missing).toEqual([]);
      expect(report.cost?.loadAndDrain.stack.msPerEvent).toBeGreaterThan(0);
    }
    await checkPage(figures.reportHtml, report, join(outDir, "real-run.png"));
  }, 120_000);
});
