// Webhook signatures in the scheme receivers know from Stripe: `t=<unix seconds>,v1=<hex>`, the
// HMAC-SHA256 of "<t>.<raw body>" with the subscription's secret. The timestamp is signed too,
// so a captured request cannot be replayed later with a fresh timestamp.
import { createHmac, timingSafeEqual } from "node:crypto";

export const signatureHeader = "x-eventscope-signature";

export const hmacHex = (secret: string, timestamp: number, body: string): string =>
  createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");

export const signPayload = (secret: string, timestamp: number, body: string): string =>
  `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;

export interface WebhookRequest {
  deliveryId: string;
  eventId: string;
  secret: string;
  body: string;
  /** Unix seconds. */
  timestamp: number;
}

/** Every header of a webhook call except the trace context, which the sender adds. */
export function webhookHeaders(request: WebhookRequest): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-eventscope-event-id": request.eventId,
    "x-eventscope-delivery-id": request.deliveryId,
    "x-eventscope-timestamp": String(request.timestamp),
    [signatureHeader]: signPayload(request.secret, request.timestamp, request.body),
  };
}

/**
 * What a receiver does: true when the header carries a v1 signature of this body made with
 * this secret, no older than `toleranceSeconds`.
 */
export function verifySignature(
  header: string | undefined,
  secret: string,
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!header) return false;
  const parts = new Map<string, string[]>();
  for (const item of header.split(",")) {
    const eq = item.indexOf("=");
    if (eq <= 0) continue;
    const key = item.slice(0, eq).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(eq + 1).trim()]);
  }
  const timestamp = Number(parts.get("t")?.[0]);
  if (!Number.isInteger(timestamp)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), "hex");
  // Several v1 values are allowed so that a secret can be rotated without a gap.
  return (parts.get("v1") ?? []).some((candidate) => {
    const given = Buffer.from(candidate, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
