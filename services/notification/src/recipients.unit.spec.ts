import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "@eventscope/contracts";
import { contactFor, customerRefOf, fromEvent } from "./recipients.ts";

const event = (
  aggregateType: string,
  aggregateId: string,
  data: Record<string, unknown> = {},
): EventEnvelope => ({
  eventId: "00000000-0000-4000-8000-000000000000",
  eventType: "X",
  aggregateType,
  aggregateId,
  timestamp: "2026-01-01T00:00:00.000Z",
  data,
  metadata: { correlationId: "c", source: "spec" },
});

describe("recipients", () => {
  it("finds the customer of an event: itself, its customerId, its order, its payment's order", () => {
    expect(customerRefOf(event("Customer", "c-1"))).toEqual({ customer: "c-1" });
    expect(customerRefOf(event("Order", "o-1", { customerId: "c-2" }))).toEqual({ customer: "c-2" });
    expect(customerRefOf(event("Order", "o-1"))).toEqual({ order: "o-1" });
    expect(customerRefOf(event("Payment", "p-1", { orderId: "o-3" }))).toEqual({ order: "o-3" });
    expect(customerRefOf(event("Payment", "p-1"))).toEqual({ payment: "p-1" });
    expect(customerRefOf(event("Inventory", "sku"))).toBeUndefined();
  });

  it("keeps a target the event named and replaces a fallback", () => {
    const e = event("Order", "o-1", { phone: "+331234" });
    expect(fromEvent({ channel: "email", target: "a@b.io", event: e }, "default@x.io")).toBe(true);
    expect(fromEvent({ channel: "email", target: "default@x.io", event: e }, "default@x.io")).toBe(false);
    expect(fromEvent({ channel: "sms", target: "+331234", event: e }, "d")).toBe(true);
    expect(fromEvent({ channel: "push", target: "Order/o-1", event: e }, "d")).toBe(false);
  });

  it("takes the customer's address, number or device by channel, none when unknown", () => {
    const contact = { email: "ana@example.com", phone: "+33 6", deviceToken: null };
    expect(contactFor("email", contact)).toBe("ana@example.com");
    expect(contactFor("sms", contact)).toBe("+33 6");
    expect(contactFor("push", contact)).toBeUndefined();
  });
});
