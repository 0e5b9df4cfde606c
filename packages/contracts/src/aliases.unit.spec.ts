import { describe, expect, it } from "vitest";
import { storedEventType } from "./aliases.ts";
import { normalizeEnvelope } from "./envelope.ts";
import { validateEnvelope } from "./validation.ts";

describe("event aliases", () => {
  it("validates an aliased event against the stored type's schema and stores the stored name", () => {
    const input = {
      eventType: "OrderPlaced",
      aggregateType: "Order",
      aggregateId: "o-1",
      data: { customerId: "c-1", items: [{ productId: "p", quantity: 2, unitPrice: 5 }], totalAmount: 10 },
    };
    const validation = validateEnvelope(input);
    expect(validation.ok).toBe(true);
    if (validation.ok) expect(normalizeEnvelope(validation.envelope).eventType).toBe("OrderCreated");
  });

  it("names the alias's data problems as the stored type's", () => {
    const validation = validateEnvelope({
      eventType: "LowStockAlerted",
      aggregateType: "Inventory",
      aggregateId: "p-1",
      data: { quantity: 1 },
    });
    expect(validation).toEqual({
      ok: false,
      problems: [{ field: "/data/threshold", reason: "is required" }],
    });
  });

  it("maps each roadmap name to the e-commerce seed's and leaves other names alone", () => {
    expect(storedEventType("PaymentCaptured")).toBe("PaymentCompleted");
    expect(storedEventType("LowStockAlerted")).toBe("LowStockAlert");
    expect(storedEventType("OrderPlaced")).toBe("OrderCreated");
    expect(storedEventType("OrderPaid")).toBe("OrderPaid");
    expect(storedEventType("constructor")).toBe("constructor");
  });
});
