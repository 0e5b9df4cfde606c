// Webhook subscriptions: a URL the webhook policy admits, the event types it wants ("*" for
// all), the secret its deliveries are signed with (kept sealed, see secret-box.ts) and its
// health (switched off after too many consecutive failures, see subscription-health.ts).
import { randomBytes, randomUUID } from "node:crypto";
import {
  unavailable,
  validationError,
  type FieldProblem,
  type Pool,
  type PoolClient,
} from "@eventscope/platform";
import type { Subscription } from "./plan.ts";
import type { SecretBox } from "./secret-box.ts";
import { checkTarget, TargetRefused, type TargetPolicy } from "./webhook-target.ts";

export interface SubscriptionInput {
  url: string;
  eventTypes: string[];
  secret: string | undefined;
}

/** A subscription as the API shows it: never its secret, except once when created. */
export interface SubscriptionView extends Subscription {
  consecutiveFailures: number;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
}

/** Checks a request body; every problem names its field. */
export function parseSubscription(body: unknown): SubscriptionInput {
  const input = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const { url, eventTypes, secret } = input;
  let parsed: URL | undefined;
  try {
    parsed = typeof url === "string" ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
    problems.push({ field: "url", reason: "must be an absolute http or https URL" });
  else if (parsed.username || parsed.password)
    problems.push({ field: "url", reason: "must not carry credentials (the signature authenticates)" });
  if (
    !Array.isArray(eventTypes) ||
    eventTypes.length === 0 ||
    !eventTypes.every((t) => typeof t === "string" && t.length > 0)
  )
    problems.push({ field: "eventTypes", reason: 'must be a non-empty array of event types (or "*")' });
  if (secret !== undefined && (typeof secret !== "string" || secret.length < 16))
    problems.push({ field: "secret", reason: "must be a string of at least 16 characters" });
  if (problems.length > 0) throw validationError("invalid subscription", problems);
  return { url: url as string, eventTypes: [...new Set(eventTypes as string[])], secret: secret as string };
}

/**
 * The webhook policy at subscription time: the URL's host resolves, and only to addresses the
 * policy admits. A refusal is a 400 naming `url`; a resolver that did not answer, a 503.
 */
export async function checkSubscriptionUrl(
  policy: TargetPolicy,
  url: string,
  onRefused: (addressClass: TargetRefused["class"]) => void = () => {},
): Promise<void> {
  try {
    await checkTarget(policy, new URL(url));
  } catch (error) {
    if (!(error instanceof TargetRefused)) throw error;
    onRefused(error.class);
    if (error.retriable) throw unavailable(`could not resolve the url's host: ${error.message}`, 5, error);
    throw validationError("webhook target refused", [{ field: "url", reason: `refused: ${error.message}` }]);
  }
}

const columns = `id, url, event_types AS "eventTypes", status, consecutive_failures AS "consecutiveFailures",
  failing_since AS "failingSince", disabled_at AS "disabledAt", disabled_reason AS "disabledReason",
  created_at AS "createdAt"`;
const iso = (d: Date | null) => d?.toISOString() ?? null;
export const subscriptionView = (row: any): SubscriptionView => ({
  ...row,
  createdAt: row.createdAt.toISOString(),
  failingSince: iso(row.failingSince),
  disabledAt: iso(row.disabledAt),
});
export const subscriptionColumns = columns;

export async function createSubscription(
  pool: Pool,
  box: SecretBox,
  input: SubscriptionInput,
): Promise<SubscriptionView & { secret: string }> {
  const id = randomUUID();
  const secret = input.secret ?? randomBytes(32).toString("hex");
  const { rows } = await pool.query(
    `INSERT INTO subscriptions (id, url, event_types, secret_sealed) VALUES ($1, $2, $3, $4) RETURNING ${columns}`,
    [id, input.url, input.eventTypes, box.seal(secret, id)],
  );
  return { ...subscriptionView(rows[0]), secret };
}

/** Every subscription, switched off ones included (planning skips those). */
export async function listSubscriptions(pool: Pool | PoolClient): Promise<SubscriptionView[]> {
  // Named (planned once per connection): the consumer lists them for every batch it plans.
  const { rows } = await pool.query({
    name: "notification-subscriptions",
    text: `SELECT ${columns} FROM subscriptions ORDER BY created_at`,
  });
  return rows.map(subscriptionView);
}

export async function getSubscription(pool: Pool, id: string): Promise<SubscriptionView | undefined> {
  const { rows } = await pool.query(`SELECT ${columns} FROM subscriptions WHERE id = $1`, [id]);
  return rows[0] ? subscriptionView(rows[0]) : undefined;
}

export async function deleteSubscription(pool: Pool, id: string): Promise<boolean> {
  const result = await pool.query("DELETE FROM subscriptions WHERE id = $1", [id]);
  return (result.rowCount ?? 0) > 0;
}

/**
 * Seals the secrets still stored in the clear (rows from before sealing existed) and clears
 * them; run at start, before anything is sent. Returns how many were sealed.
 */
export async function sealClearSecrets(pool: Pool, box: SecretBox): Promise<number> {
  const { rows } = await pool.query<{ id: string; secret: string }>(
    "SELECT id, secret FROM subscriptions WHERE secret IS NOT NULL",
  );
  for (const row of rows)
    await pool.query(
      "UPDATE subscriptions SET secret_sealed = $2, secret = NULL WHERE id = $1 AND secret = $3",
      [row.id, box.seal(row.secret, row.id), row.secret],
    );
  return rows.length;
}
