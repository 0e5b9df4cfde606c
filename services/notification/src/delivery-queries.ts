// Delivery records as the HTTP API shows them, and the replay of a dead delivery.
import type { Pool } from "@eventscope/platform";
import type { DeliveryStatus } from "./deliveries.ts";

export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  rule: string;
  channel: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
  target: string;
  /** Where the target came from: event, customer (read model), default, subscription. */
  recipient: string | null;
}

export interface DeliveryFilter {
  eventId?: string | undefined;
  status?: string | undefined;
  channel?: string | undefined;
  rule?: string | undefined;
  limit: number;
}

const columns = `id, event_id, event_type, rule, channel, status, attempts, last_error, created_at,
  delivered_at, next_attempt_at, target, recipient`;

const view = (r: any): DeliveryView => ({
  id: r.id,
  eventId: r.event_id,
  eventType: r.event_type,
  rule: r.rule,
  channel: r.channel,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: r.created_at.toISOString(),
  deliveredAt: r.delivered_at?.toISOString() ?? null,
  // Only meaningful while another attempt is ahead.
  nextAttemptAt: r.status === "pending" || r.status === "retrying" ? r.next_attempt_at.toISOString() : null,
  target: r.target,
  recipient: r.recipient ?? null,
});

export async function listDeliveries(pool: Pool, filter: DeliveryFilter): Promise<DeliveryView[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of [
    ["event_id", filter.eventId],
    ["status", filter.status],
    ["channel", filter.channel],
    ["rule", filter.rule],
  ] as const) {
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  params.push(filter.limit);
  const { rows } = await pool.query(
    `SELECT ${columns} FROM deliveries ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY created_at DESC, id LIMIT $${params.length}`,
    params,
  );
  return rows.map(view);
}

export async function getDelivery(pool: Pool, id: string): Promise<DeliveryView | undefined> {
  const { rows } = await pool.query(`SELECT ${columns} FROM deliveries WHERE id = $1`, [id]);
  return rows[0] ? view(rows[0]) : undefined;
}

/** A dead delivery goes back to pending with its attempts reset; anything else is left alone. */
export async function replayDelivery(
  pool: Pool,
  id: string,
): Promise<{ replayed: DeliveryView } | { current: DeliveryView | undefined }> {
  const { rows } = await pool.query(
    `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now()
     WHERE id = $1 AND status = 'dead' RETURNING ${columns}`,
    [id],
  );
  if (rows[0]) return { replayed: view(rows[0]) };
  return { current: await getDelivery(pool, id) };
}
