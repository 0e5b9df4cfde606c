// Each webhook subscription has its own failure budget: a success clears its count; after
// `failures` consecutive failed attempts spread over at least `windowMs` it is switched off, so
// an endpoint that is gone stops costing attempts (and dead deliveries) for ever. Switching off
// buries what was still waiting for it and is recorded; an admin switches it on again.
import { withTransaction, type Pool } from "@eventscope/platform";
import { subscriptionColumns, subscriptionView, type SubscriptionView } from "./subscriptions.ts";

export interface FailureBudget {
  /** Consecutive failed attempts (WEBHOOK_FAILURE_BUDGET). */
  failures: number;
  /** ... over at least this long (WEBHOOK_FAILURE_WINDOW_MS). */
  windowMs: number;
}

export interface SwitchRecord {
  status: "active" | "disabled";
  reason: string;
  at: string;
}

export async function recordSuccess(pool: Pool, subscriptionId: string): Promise<void> {
  await pool.query(
    `UPDATE subscriptions SET consecutive_failures = 0, failing_since = NULL
     WHERE id = $1 AND consecutive_failures > 0`,
    [subscriptionId],
  );
}

/** Counts a failed attempt; returns the reason when this one used up the budget. */
export async function recordFailure(
  pool: Pool,
  subscriptionId: string,
  error: string,
  budget: FailureBudget,
): Promise<string | undefined> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ status: string; failures: number; since: Date }>(
      `UPDATE subscriptions SET
         consecutive_failures = consecutive_failures + 1,
         failing_since = coalesce(failing_since, now()),
         status = CASE WHEN consecutive_failures + 1 >= $2
                        AND coalesce(failing_since, now()) <= now() - $3 * interval '1 millisecond'
                       THEN 'disabled' ELSE status END
       WHERE id = $1 AND status = 'active'
       RETURNING status, consecutive_failures AS failures, failing_since AS since`,
      [subscriptionId, budget.failures, budget.windowMs],
    );
    const row = rows[0];
    if (!row) {
      // Switched off while this attempt was in flight: what it left waiting is buried too.
      await client.query(
        `UPDATE deliveries SET status = 'dead', last_error = coalesce(last_error || '; ', '') || $2
         WHERE subscription_id = $1 AND status IN ('pending', 'retrying')
           AND EXISTS (SELECT 1 FROM subscriptions WHERE id = $1 AND status = 'disabled')`,
        [subscriptionId, "subscription switched off"],
      );
      return undefined;
    }
    if (row.status !== "disabled") return undefined;
    const reason =
      `switched off after ${row.failures} consecutive failed attempts since ${row.since.toISOString()}; last: ${error}`.slice(
        0,
        1000,
      );
    await client.query("UPDATE subscriptions SET disabled_at = now(), disabled_reason = $2 WHERE id = $1", [
      subscriptionId,
      reason,
    ]);
    await client.query(
      "INSERT INTO subscription_switches (subscription_id, status, reason) VALUES ($1, 'disabled', $2)",
      [subscriptionId, reason],
    );
    await client.query(
      `UPDATE deliveries SET status = 'dead', last_error = coalesce(last_error || '; ', '') || $2
       WHERE subscription_id = $1 AND status IN ('pending', 'retrying')`,
      [subscriptionId, "subscription switched off"],
    );
    return reason;
  });
}

/** Switches a disabled subscription on with a clean count; undefined when it was not disabled. */
export async function switchOn(
  pool: Pool,
  id: string,
  reason: string,
): Promise<SubscriptionView | undefined> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query(
      `UPDATE subscriptions SET status = 'active', consecutive_failures = 0, failing_since = NULL,
         disabled_at = NULL, disabled_reason = NULL
       WHERE id = $1 AND status = 'disabled' RETURNING ${subscriptionColumns}`,
      [id],
    );
    if (!rows[0]) return undefined;
    await client.query(
      "INSERT INTO subscription_switches (subscription_id, status, reason) VALUES ($1, 'active', $2)",
      [id, reason],
    );
    return subscriptionView(rows[0]);
  });
}

export async function switchHistory(pool: Pool, id: string): Promise<SwitchRecord[]> {
  const { rows } = await pool.query<{ status: "active" | "disabled"; reason: string; at: Date }>(
    "SELECT status, reason, at FROM subscription_switches WHERE subscription_id = $1 ORDER BY at, id",
    [id],
  );
  return rows.map((r) => ({ status: r.status, reason: r.reason, at: r.at.toISOString() }));
}

export async function countSubscriptions(pool: Pool): Promise<Record<"active" | "disabled", number>> {
  const { rows } = await pool.query<{ status: "active" | "disabled"; n: number }>(
    "SELECT status, count(*)::int AS n FROM subscriptions GROUP BY status",
  );
  const out = { active: 0, disabled: 0 };
  for (const row of rows) out[row.status] = row.n;
  return out;
}
