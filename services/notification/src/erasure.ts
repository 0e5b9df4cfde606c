// Personal data erasure in the notification service. A customer's deletion or erasure
// (CustomerDeleted, CustomerErased) redacts, in the transaction that records the event as
// consumed, what the deliveries concerning them keep: the address or number sent to, the
// rendered subject and body, the event's personal fields (and any other copy of those values in
// the event or an error), and cancels the ones not sent yet, so nothing more reaches them. A
// delivery of theirs recorded or resolved later (an order event consumed after the erasure, a
// payment's customer found at send time) is cancelled and redacted the same way.
import { erasedValue, personalFieldsOf, subjectErasedBy, type EventEnvelope } from "@eventscope/contracts";
import { eraseParkedMessages, withTransaction, type Pool, type PoolClient } from "@eventscope/platform";

export interface Erasure {
  customerId: string;
  eventId: string;
  eventType: string;
}

/** Why a delivery of an erased customer was not sent; its last_error once cancelled. */
export const cancelReason = (eventType: string, eventId: string) =>
  `cancelled: the customer's personal data was erased (${eventType} ${eventId})`;

// Values shorter than this are replaced only where they are a whole string, never inside one.
const MIN_SUBSTRING = 5;

/** Every string value of the event's declared personal fields, and the address sent to. */
function personalValues(event: EventEnvelope, channel: string, target: string): Set<string> {
  const values = new Set<string>();
  for (const field of personalFieldsOf(event)?.fields ?? []) {
    const value = event.data[field];
    if (typeof value === "string" && value !== erasedValue) values.add(value);
  }
  if (channel !== "webhook" && target !== erasedValue) values.add(target);
  return values;
}

const scrub = (text: string, values: Set<string>): string => {
  let out = text;
  for (const value of values) if (value.length >= MIN_SUBSTRING) out = out.split(value).join(erasedValue);
  return out;
};

/** A copy of `value` with every string equal to (or containing) a personal value replaced. */
function redact(value: unknown, values: Set<string>): unknown {
  if (typeof value === "string") return values.has(value) ? erasedValue : scrub(value, values);
  if (Array.isArray(value)) return value.map((v) => redact(v, values));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, values)]));
  return value;
}

/** The event with its declared personal fields erased, as the event store serves it after erasure. */
function erasedEvent(event: EventEnvelope, values: Set<string>): EventEnvelope {
  const data = { ...event.data };
  for (const field of personalFieldsOf(event)?.fields ?? []) data[field] = erasedValue;
  return redact({ ...event, data }, values) as EventEnvelope;
}

interface Row {
  id: string;
  channel: string;
  status: string;
  target: string;
  last_error: string | null;
  event: EventEnvelope;
}

/**
 * Redacts the deliveries of the customers `erasures` name (not redacted yet) and cancels those
 * not delivered; records the customers as erased. Runs in the caller's transaction. Returns
 * how many deliveries were redacted.
 */
export async function eraseCustomers(client: PoolClient, erasures: Erasure[]): Promise<number> {
  let redacted = 0;
  for (const erasure of erasures) {
    await client.query(
      `INSERT INTO erased_customers (customer_id, event_id, event_type) VALUES ($1, $2, $3)
       ON CONFLICT (customer_id) DO NOTHING`,
      [erasure.customerId, erasure.eventId, erasure.eventType],
    );
    const { rows: found } = await client.query<Row>(
      `SELECT id, channel, status, target, last_error, event FROM deliveries
       WHERE customer_id = $1 AND erased_at IS NULL ORDER BY id FOR UPDATE`,
      [erasure.customerId],
    );
    // The deletion or erasure itself carries nothing personal, and its subscribers are told of it.
    const rows = found.filter((row) => subjectErasedBy(row.event) === undefined);
    // All the customer's values, so that one delivery's copy of another's address goes too.
    const values = new Set<string>();
    for (const row of rows) for (const v of personalValues(row.event, row.channel, row.target)) values.add(v);
    const reason = cancelReason(erasure.eventType, erasure.eventId);
    for (const row of rows) {
      const cancel = row.status !== "delivered" && row.status !== "cancelled";
      await client.query(
        `UPDATE deliveries SET target = $2, subject = NULL, body = NULL, event = $3::json, last_error = $4,
           status = $5, erased_at = now()
         WHERE id = $1`,
        [
          row.id,
          row.channel === "webhook" ? row.target : erasedValue,
          JSON.stringify(erasedEvent(row.event, values)),
          cancel ? reason : row.last_error && scrub(row.last_error, values),
          cancel ? "cancelled" : row.status,
        ],
      );
    }
    // A message of theirs this service parked keeps the same values: redacted with the rest.
    await eraseParkedMessages(client, { subjectId: erasure.customerId, values, ...erasure });
    redacted += rows.length;
  }
  return redacted;
}

/** The erased customers among `customerIds`, with the event that erased each. */
export async function erasedAmong(client: PoolClient | Pool, customerIds: string[]): Promise<Erasure[]> {
  if (customerIds.length === 0) return [];
  const { rows } = await client.query<{ customer_id: string; event_id: string; event_type: string }>(
    "SELECT customer_id, event_id, event_type FROM erased_customers WHERE customer_id = ANY($1::text[])",
    [customerIds],
  );
  return rows.map((r) => ({ customerId: r.customer_id, eventId: r.event_id, eventType: r.event_type }));
}

/**
 * A claimed delivery found at send time to concern an erased customer (`customerId` from the
 * look-up, else the one recorded): recorded as theirs, then cancelled and redacted with the rest.
 */
export async function cancelErased(pool: Pool, deliveryId: string, customerId: string | undefined) {
  await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ customer_id: string | null }>(
      "UPDATE deliveries SET customer_id = coalesce($2, customer_id) WHERE id = $1 RETURNING customer_id",
      [deliveryId, customerId ?? null],
    );
    const owner = rows[0]?.customer_id;
    if (owner) await eraseCustomers(client, await erasedAmong(client, [owner]));
  });
}
