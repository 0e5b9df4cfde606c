// Every scenario for a few seconds on the native engine against the running stack (`make up`),
// at modest rates on loopback: each produces its report (JSON and HTML, engine named), its
// ledger holds, its plan's thresholds were judged, and the flows scenario ends with every flow's
// final state found in its read model. The checkout scenario needs the process manager (8086):
// every order its checkouts made ends Confirmed or Cancelled (stock back), and the ledger says so.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { planFor, type ScenarioName } from "../scenarios/lib/model.ts";
import type { Report } from "./model.ts";
import pg from "pg";
import { runPrefix } from "./ledger.ts";
import { runScenario, type RunOptions } from "./run.ts";
import { warmupRunId } from "./run/drive.ts";
import { databaseUrlOf } from "./run/setup.ts";

const cases: [ScenarioName, Omit<RunOptions, "scenario">][] = [
  ["smoke", { duration: "4s" }],
  ["load", { rate: 40, duration: "4s", warmup: "2s" }],
  ["ramp", { env: { RAMP_START: "20", RAMP_STEP: "20", RAMP_MAX: "40", STEP_DURATION: "3s" } }],
  ["spike", { rate: 60, env: { BASE_RATE: "20", SPIKE_HOLD: "2s", SPIKE_LEAD: "2s", SPIKE_TAIL: "2s" } }],
  ["soak", { rate: 20, duration: "10s" }],
  ["flows", { rate: 8, duration: "4s" }],
  ["checkout", { rate: 4, duration: "5s" }],
];

describe.each(cases)("the %s scenario on the native engine", (scenario, opts) => {
  it("runs against the stack and writes its report", async () => {
    const f = await runScenario({ scenario, ...opts, engine: "native", quiet: true, drainTimeoutMs: 60_000 });
    const report = JSON.parse(await readFile(f.reportJson, "utf8")) as Report;
    expect(f.engine).toBe("native");
    expect(report.engine?.name).toBe("native");
    expect(report.engine?.version).toMatch(/^vegeta v12\.\d+\.\d+ \+ undici/);
    expect(existsSync(f.reportHtml)).toBe(true);
    expect(await readFile(f.reportHtml, "utf8")).toContain("native engine (vegeta");
    expect(report.http.accepted).toBeGreaterThan(0);
    expect(report.ledger).toMatchObject({ lost: 0, duplicated: 0, notProjected: 0, projectedTwice: 0 });
    expect(report.e2e.samples).toBeGreaterThan(0);
    expect(report.engine?.cpuSeconds?.engine ?? 0).toBeGreaterThanOrEqual(0);
    // The plan's thresholds, judged by the native engine, are all in the report.
    const judged = report.thresholds.filter((t) => t.source === "native").map((t) => t.rule);
    for (const t of planFor(scenario, {}).thresholds) {
      expect(judged).toContain(`${t.metric} ${t.stat}${t.op}${t.limit}`);
    }
    if (scenario === "ramp") expect(report.knee?.steps.map((s) => s.rate)).toEqual([20, 40]);
    if (opts.warmup) {
      // The warm-up ran through the stack, and nothing of it is in the run's figures or ledger.
      expect(f.warmup).toBe(opts.warmup);
      expect(report.params.warmup).toBe(opts.warmup);
      const pool = new pg.Pool({ connectionString: databaseUrlOf(), max: 1 });
      try {
        const { rows } = await pool.query<{ n: string }>(
          "SELECT count(*) AS n FROM event_store.events WHERE aggregate_id LIKE $1",
          [`${runPrefix(warmupRunId(f.runId))}%`],
        );
        expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(40);
      } finally {
        await pool.end();
      }
      expect(report.ledger!.accepted).toBe(report.http.accepted);
      expect(report.ledger!.stored).toBe(report.ledger!.accepted);
      // The run's 160 events and its probes' (about 20); with the warm-up's 80 and its probes, 270.
      expect(report.http.accepted).toBeLessThan(40 * 4 + 80);
      expect(report.times.loadStart - report.times.start).toBeLessThan(5_000);
    }
    if (scenario === "smoke" || scenario === "flows") {
      // Every flow started was followed to its final state in its read model.
      const flows = report.thresholds.find((t) => t.rule === "flow_failures count==0");
      expect(flows).toMatchObject({ ok: true, observed: 0 });
      const summary = JSON.parse(await readFile(`${f.reportDir}/summary.json`, "utf8")) as {
        metrics: Record<string, { values: Record<string, number> }>;
      };
      const visible = summary.metrics.flow_visible!.values.count!;
      expect(visible).toBeGreaterThanOrEqual(scenario === "smoke" ? 4 : 4 * 2 * 4);
      expect(summary.metrics.flow_failures!.values.count).toBe(0);
    }
    if (scenario === "checkout") {
      const flows = report.thresholds.find((t) => t.rule === "flow_failures count==0");
      expect(flows).toMatchObject({ ok: true, observed: 0 });
      // 3 completed and 1 declined per second for 5 s: every order final, in both places.
      const orders = report.ledger!.orders!;
      expect(orders).toMatchObject({ orders: 20, confirmed: 15, cancelled: 5, notFinal: 0, stockHeld: 0 });
      expect(orders.byOutcome).toEqual({ confirmed: 15, "payment-failed": 5 });
      expect(orders.timeToFinalMs.max).toBeGreaterThan(0);
      expect(f.orders).toBe(20);
      expect(f.ordersNotFinal).toBe(0);
      for (const rule of ["orders not final == 0", "cancelled orders holding stock == 0"])
        expect(report.thresholds.find((t) => t.rule === rule)).toMatchObject({ ok: true, observed: 0 });
      // The process manager's own steps are counted apart, not as duplicates of the client's.
      expect(report.ledger!.processManager.byEventType).toMatchObject({
        OrderCreated: 20,
        StockReserved: 40,
        OrderValidated: 20,
        PaymentInitiated: 20,
        OrderConfirmed: 15,
        OrderPaid: 15,
        StockReleased: 10,
        OrderCancelled: 5,
      });
      expect(report.ledger!.byAggregateType).toMatchObject({ Inventory: 40, Cart: 80, Payment: 15 * 2 + 5 });
      expect(report.lag.groups.map((g) => g.group)).toContain("process-manager");
    }
  }, 150_000);
});
