// Read-model rows by status (orders by status for the business dashboard), counted on a timer by
// main.ts rather than per scrape, so that Prometheus never drives database load.
import type { Metrics, Pool } from "@eventscope/platform";
import { documentModels } from "./read-models.ts";

export async function refreshReadModelRows(pool: Pool, metrics: Metrics): Promise<void> {
  const counted = documentModels.filter((m) => "status" in m.filters);
  const { rows } = await pool.query<{ model: string; status: string | null; n: string }>(
    counted
      .map((m) => `SELECT '${m.name}' AS model, status, count(*) AS n FROM ${m.table} GROUP BY status`)
      .join(" UNION ALL "),
  );
  metrics.readModelRows.reset();
  for (const r of rows)
    metrics.readModelRows.set({ model: r.model, status: r.status ?? "none" }, Number(r.n));
}
