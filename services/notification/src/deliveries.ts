// The deliveries table: recording planned deliveries (the outbox), claiming due ones under a
// lease, recording each attempt's outcome, and the queries behind the HTTP API.
import type { EventEnvelope } from "@eventscope/contracts";
import type { Pool, PoolClient } from "@eventscope/platform";
import type { FailureOutcome } from "./backoff.ts";
import type { Channel, PlannedDelivery } from "./plan.ts";

export const deliveryStatuses = ["pending", "sending", "retrying", "delivered", "dead"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  eventType: string;
  rule: string;
  channel: Channel;
  /** Including this attempt: the claim counts it, so a crash mid-send still uses one up. */
  attempts: number;
  target: string;
  subject: string | null;
  body: string | null;
  subscriptionId: string | null;
  /** The subscription's current secret; null once the subscription is deleted. */
  secret: string | null;
  event: EventEnvelope;
  correlationId: string | null;
  traceparent: string | null;
  acceptedAt: Date | null;
}

const recordColumns = `event_id uuid, event_type text, rule text, channel text, status text, last_error text,
  target text, subject text, body text, subscription_id uuid, event json, correlation_id text,
  traceparent text, accepted_at timestamptz`;

/** Records a batch's deliveries; an (event, rule, channel) already recorded is left as it is. */
export async function recordDeliveries(client: PoolClient, planned: PlannedDelivery[]): Promise<number> {
  if (planned.length === 0) return 0;
  const rows = planned.map((p) => ({
    event_id: p.eventId,
    event_type: p.eventType,
    rule: p.rule,
    channel: p.channel,
    status: p.status,
    last_error: p.lastError,
    target: p.target,
    subject: p.subject,
    body: p.body,
    subscription_id: p.subscriptionId,
    event: p.event,
    correlation_id: p.correlationId,
    traceparent: p.traceparent,
    accepted_at: p.acceptedAt,
  }));
  const result = await client.query(
    `INSERT INTO deliveries (event_id, event_type, rule, channel, status, last_error, target, subject, body,
                             subscription_id, event, correlation_id, traceparent, accepted_at)
     SELECT * FROM json_to_recordset($1::json) AS r(${recordColumns})
     ON CONFLICT (event_id, rule, channel) DO NOTHING`,
    [JSON.stringify(rows)],
  );
  return result.rowCount ?? 0;
}

/**
 * Claims up to `limit` due deliveries for this instance: `sending`, with a lease until which no
 * other dispatcher takes them. An expired lease (the sender crashed) makes a delivery due again.
 */
export async function claimDue(
  pool: Pool,
  limit: number,
  leaseMs: number,
  maxAttempts: number,
): Promise<ClaimedDelivery[]> {
  const { rows } = await pool.query(
    `UPDATE deliveries d
     SET status = 'sending', attempts = d.attempts + 1,
         next_attempt_at = now() + $2 * interval '1 millisecond'
     FROM (SELECT id FROM deliveries
           WHERE status IN ('pending', 'retrying', 'sending') AND next_attempt_at <= now() AND attempts < $3
           ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT $1) due
     WHERE d.id = due.id
     RETURNING d.id, d.event_id AS "eventId", d.event_type AS "eventType", d.rule, d.channel, d.attempts,
       d.target, d.subject, d.body, d.subscription_id AS "subscriptionId", d.event,
       d.correlation_id AS "correlationId", d.traceparent, d.accepted_at AS "acceptedAt",
       (SELECT s.secret FROM subscriptions s WHERE s.id = d.subscription_id) AS secret`,
    [limit, leaseMs, maxAttempts],
  );
  return rows as ClaimedDelivery[];
}

/** A lease that ran out on the last allowed attempt: nothing is left to try. */
export async function buryExpired(pool: Pool, maxAttempts: number): Promise<number> {
  const result = await pool.query(
    `UPDATE deliveries SET status = 'dead',
       last_error = coalesce(last_error || '; ', '') || 'no outcome recorded for the last attempt (lease expired)'
     WHERE status = 'sending' AND next_attempt_at <= now() AND attempts >= $1`,
    [maxAttempts],
  );
  return result.rowCount ?? 0;
}

// Outcomes are fenced by the attempt number: a sender whose lease ran out and whose delivery
// was claimed again cannot overwrite the newer attempt's outcome.
export async function markDelivered(pool: Pool, d: ClaimedDelivery): Promise<Date | undefined> {
  const { rows } = await pool.query<{ delivered_at: Date }>(
    `UPDATE deliveries SET status = 'delivered', delivered_at = now()
     WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING delivered_at`,
    [d.id, d.attempts],
  );
  return rows[0]?.delivered_at;
}

export async function markFailed(
  pool: Pool,
  d: ClaimedDelivery,
  outcome: FailureOutcome,
  error: string,
): Promise<void> {
  await pool.query(
    `UPDATE deliveries SET status = $3, last_error = $4,
       next_attempt_at = now() + $5 * interval '1 millisecond'
     WHERE id = $1 AND status = 'sending' AND attempts = $2`,
    [d.id, d.attempts, outcome.status, error.slice(0, 2000), outcome.status === "dead" ? 0 : outcome.delayMs],
  );
}

export async function countByStatus(pool: Pool): Promise<Record<DeliveryStatus, number>> {
  const { rows } = await pool.query<{ status: DeliveryStatus; n: number }>(
    "SELECT status, count(*)::int AS n FROM deliveries GROUP BY status",
  );
  const out = Object.fromEntries(deliveryStatuses.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
  for (const row of rows) out[row.status] = row.n;
  return out;
}
