// The deliveries table: recording planned deliveries (the outbox), claiming due ones under a
// lease, recording each attempt's outcome, and the queries behind the HTTP API.
import type { EventEnvelope } from "@eventscope/contracts";
import type { Pool, PoolClient } from "@eventscope/platform";
import type { FailureOutcome } from "./backoff.ts";
import type { Channel, PlannedDelivery } from "./plan.ts";
import { customerOf } from "./customer-ref.ts";

export const deliveryStatuses = ["pending", "sending", "retrying", "delivered", "dead", "cancelled"] as const;
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
  /** The subscription's secret as stored (sealed); null once the subscription is deleted. */
  sealedSecret: string | null;
  /** A secret stored in the clear before sealing existed and not yet sealed (see sealClearSecrets). */
  clearSecret: string | null;
  event: EventEnvelope;
  correlationId: string | null;
  traceparent: string | null;
  acceptedAt: Date | null;
}

const recordColumns = `event_id uuid, event_type text, rule text, channel text, status text, last_error text,
  target text, subject text, body text, subscription_id uuid, event json, correlation_id text,
  traceparent text, accepted_at timestamptz, customer_id text`;

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
    customer_id: customerOf(p.event) ?? null,
  }));
  const result = await client.query(
    `INSERT INTO deliveries (event_id, event_type, rule, channel, status, last_error, target, subject, body,
                             subscription_id, event, correlation_id, traceparent, accepted_at, customer_id)
     SELECT * FROM json_to_recordset($1::json) AS r(${recordColumns})
     ON CONFLICT (event_id, rule, channel) DO NOTHING`,
    [JSON.stringify(rows)],
  );
  return result.rowCount ?? 0;
}

/**
 * Where a delivery waits for a send slot: one lane per channel, and one per webhook
 * subscription (its rule), so that a hanging endpoint fills only its own lane.
 */
export const laneOf = (d: Pick<ClaimedDelivery, "channel" | "rule">): string =>
  d.channel === "webhook" ? d.rule : d.channel;

export interface ClaimLimits {
  /** Most deliveries claimed in this round. */
  limit: number;
  leaseMs: number;
  maxAttempts: number;
  /** Send slots per channel lane (e-mail, SMS, push). */
  perChannel: number;
  /** Send slots per webhook subscription. */
  perSubscription: number;
  /** Slots of each lane already taken by this instance. */
  busy: ReadonlyMap<string, number>;
}

/**
 * Claims due deliveries for this instance, oldest first within each lane and never more per
 * lane than its free slots: `sending`, with a lease until which no other dispatcher takes them.
 * An expired lease (the sender crashed) makes a delivery due again. Deliveries of a switched-off
 * subscription wait. The candidates are chosen without locks; the UPDATE re-checks each row,
 * so a row another instance claimed meanwhile (its lease now ahead) is skipped.
 */
export async function claimDue(pool: Pool, limits: ClaimLimits): Promise<ClaimedDelivery[]> {
  // Named: the dispatcher asks several times a second, idle or not, and planning it took 1.2 ms
  // against 0.03 ms to run; its parameters are limits, so one plan serves every call.
  const { rows } = await pool.query({
    name: "notification-claim-due",
    text: `WITH due AS (
       SELECT d.id, d.next_attempt_at,
              CASE WHEN d.channel = 'webhook' THEN d.rule ELSE d.channel END AS lane
       FROM deliveries d
       WHERE d.status IN ('pending', 'retrying', 'sending') AND d.next_attempt_at <= now() AND d.attempts < $3
         AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = d.subscription_id AND s.status <> 'active')
     ), ranked AS (
       SELECT id, next_attempt_at, lane, row_number() OVER (PARTITION BY lane ORDER BY next_attempt_at, id) AS n
       FROM due
     ), picked AS (
       SELECT id FROM ranked
       WHERE n <= (CASE WHEN lane LIKE 'webhook:%' THEN $5::int ELSE $4::int END)
                  - coalesce(($6::jsonb ->> lane)::int, 0)
       ORDER BY next_attempt_at LIMIT $1
     )
     UPDATE deliveries d
     SET status = 'sending', attempts = d.attempts + 1,
         next_attempt_at = now() + $2 * interval '1 millisecond'
     FROM picked
     WHERE d.id = picked.id AND d.status IN ('pending', 'retrying', 'sending')
       AND d.next_attempt_at <= now() AND d.attempts < $3
     RETURNING d.id, d.event_id AS "eventId", d.event_type AS "eventType", d.rule, d.channel, d.attempts,
       d.target, d.subject, d.body, d.subscription_id AS "subscriptionId", d.event,
       d.correlation_id AS "correlationId", d.traceparent, d.accepted_at AS "acceptedAt",
       (SELECT s.secret_sealed FROM subscriptions s WHERE s.id = d.subscription_id) AS "sealedSecret",
       (SELECT s.secret FROM subscriptions s WHERE s.id = d.subscription_id) AS "clearSecret"`,
    values: [
      limits.limit,
      limits.leaseMs,
      limits.maxAttempts,
      limits.perChannel,
      limits.perSubscription,
      JSON.stringify(Object.fromEntries(limits.busy)),
    ],
  });
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
