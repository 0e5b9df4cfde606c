import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signPayload, verifySignature, webhookHeaders } from "./signature.ts";

const secret = "whsec-0123456789abcdef";
const body = '{"eventId":"e-1","eventType":"OrderShipped"}';

describe("webhook signatures", () => {
  it("signs '<timestamp>.<body>' with HMAC-SHA256 as t=<ts>,v1=<hex>", () => {
    const expected = createHmac("sha256", secret).update(`1700000000.${body}`).digest("hex");
    expect(signPayload(secret, 1_700_000_000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it("verifies its own signature and refuses another body, secret or a stale timestamp", () => {
    const now = 1_700_000_000;
    const header = signPayload(secret, now, body);
    expect(verifySignature(header, secret, body, { now })).toBe(true);
    expect(verifySignature(header, secret, body.replace("e-1", "e-2"), { now })).toBe(false);
    expect(verifySignature(header, "another-secret-value", body, { now })).toBe(false);
    expect(verifySignature(header, secret, body, { now: now + 301 })).toBe(false);
    expect(verifySignature(undefined, secret, body, { now })).toBe(false);
    expect(verifySignature("t=abc,v1=00", secret, body, { now })).toBe(false);
  });

  it("accepts any one of several v1 values, so a secret can be rotated", () => {
    const now = 1_700_000_000;
    const old = signPayload("the-old-secret-value", now, body).split(",")[1];
    expect(
      verifySignature(`${signPayload(secret, now, body)},${old}`, "the-old-secret-value", body, { now }),
    ).toBe(true);
  });

  it("sends the event id, delivery id, timestamp and signature as headers", () => {
    const headers = webhookHeaders({
      deliveryId: "d-1",
      eventId: "e-1",
      secret,
      body,
      timestamp: 1_700_000_000,
    });
    expect(headers).toMatchObject({
      "content-type": "application/json",
      "x-eventscope-event-id": "e-1",
      "x-eventscope-delivery-id": "d-1",
      "x-eventscope-timestamp": "1700000000",
    });
    expect(verifySignature(headers["x-eventscope-signature"], secret, body, { now: 1_700_000_000 })).toBe(
      true,
    );
  });
});
