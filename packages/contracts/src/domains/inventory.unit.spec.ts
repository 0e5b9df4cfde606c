import { describe, expect, it } from "vitest";
import { inventory } from "./inventory.ts";
import { given, type Step } from "./spec-support.ts";

const stock = (quantity: number): Step => ["StockUpdated", { quantity }];
const reserve = (orderId: string, quantity: number): Step => ["StockReserved", { orderId, quantity }];
const release = (orderId: string, quantity: number): Step => ["StockReleased", { orderId, quantity }];

describe("inventory", () => {
  it("tracks level, reservations per order and what is available", () => {
    const { state } = given(
      inventory,
      [
        stock(10),
        reserve("o-1", 4),
        reserve("o-2", 3),
        release("o-1", 4),
        ["LowStockAlert", { quantity: 3, threshold: 5 }],
      ],
      "SKU-1",
    );
    expect(state).toMatchObject({
      productId: "SKU-1",
      level: 10,
      reserved: 3,
      available: 7,
      reservations: { "o-2": 3 },
      lowStockThreshold: 5,
    });
  });

  it("reserves up to what is available and no more", () => {
    const held = given(inventory, [stock(5), reserve("o-1", 3)], "SKU-1");
    expect(held.decide(...reserve("o-2", 2))).toEqual({ accepted: true });
    expect(held.decide(...reserve("o-2", 3))).toEqual({
      accepted: false,
      code: "INSUFFICIENT_STOCK",
      reason: "Inventory SKU-1 has 2 available, order o-2 asks for 3",
    });
    expect(given(inventory, [], "SKU-2").decide(...reserve("o-1", 1))).toMatchObject({
      code: "INSUFFICIENT_STOCK",
    });
  });

  it("releases no more than the order reserved", () => {
    const held = given(inventory, [stock(5), reserve("o-1", 2), reserve("o-2", 2)], "SKU-1");
    expect(held.decide(...release("o-1", 3))).toEqual({
      accepted: false,
      code: "RELEASE_EXCEEDS_RESERVED",
      reason: "Inventory SKU-1 holds 2 for order o-1, cannot release 3",
    });
    expect(held.decide(...release("o-3", 1))).toMatchObject({ code: "RELEASE_EXCEEDS_RESERVED" });
    expect(held.decide(...release("__proto__", 1))).toMatchObject({ code: "RELEASE_EXCEEDS_RESERVED" });
  });

  it("records stock counts as absolute levels", () => {
    const { state } = given(inventory, [stock(10), reserve("o-1", 4), stock(6)]);
    expect(state).toMatchObject({ level: 6, reserved: 4, available: 2 });
  });
});
