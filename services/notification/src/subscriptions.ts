// Webhook subscriptions: a URL, the event types it wants ("*" for all) and the secret its
// deliveries are signed with.
import { randomBytes } from "node:crypto";
import { validationError, type FieldProblem, type Pool, type PoolClient } from "@eventscope/platform";
import type { Subscription } from "./plan.ts";

export interface SubscriptionInput {
  url: string;
  eventTypes: string[];
  secret: string | undefined;
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

const columns = `id, url, event_types AS "eventTypes", secret, created_at AS "createdAt"`;
const view = (row: any): Subscription => ({ ...row, createdAt: row.createdAt.toISOString() });

export async function createSubscription(pool: Pool, input: SubscriptionInput): Promise<Subscription> {
  const secret = input.secret ?? randomBytes(32).toString("hex");
  const { rows } = await pool.query(
    `INSERT INTO subscriptions (url, event_types, secret) VALUES ($1, $2, $3) RETURNING ${columns}`,
    [input.url, input.eventTypes, secret],
  );
  return view(rows[0]);
}

export async function listSubscriptions(pool: Pool | PoolClient): Promise<Subscription[]> {
  const { rows } = await pool.query(`SELECT ${columns} FROM subscriptions ORDER BY created_at`);
  return rows.map(view);
}

export async function getSubscription(pool: Pool, id: string): Promise<Subscription | undefined> {
  const { rows } = await pool.query(`SELECT ${columns} FROM subscriptions WHERE id = $1`, [id]);
  return rows[0] ? view(rows[0]) : undefined;
}

export async function deleteSubscription(pool: Pool, id: string): Promise<boolean> {
  const result = await pool.query("DELETE FROM subscriptions WHERE id = $1", [id]);
  return (result.rowCount ?? 0) > 0;
}

/** The secret is shown once, when the subscription is created; listings leave it out. */
export const withoutSecret = ({ secret: _secret, ...rest }: Subscription) => rest;
