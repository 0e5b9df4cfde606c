import { describe, expect, it } from "vitest";
import { carts, sumOfItems } from "./carts.ts";
import { given } from "./spec-support.ts";

const created: [string, Record<string, unknown>] = ["CartCreated", { customerId: "c-1" }];
const item = (productId: string, quantity: number, unitPrice: number): [string, Record<string, unknown>] => [
  "ItemAddedToCart",
  { productId, quantity, unitPrice },
];

describe("carts", () => {
  it("accepts create, add items and checkout; the same product adds up", () => {
    const { state } = given(carts, [
      created,
      item("p-1", 1, 9.99),
      item("p-2", 3, 0.1),
      item("p-1", 2, 9.99),
      ["CartCheckedOut", { orderId: "o-1" }],
    ]);
    expect(state).toMatchObject({ status: "CheckedOut", customerId: "c-1", orderId: "o-1", total: 30.27 });
    expect(state.items).toEqual([
      { productId: "p-1", quantity: 3, unitPrice: 9.99 },
      { productId: "p-2", quantity: 3, unitPrice: 0.1 },
    ]);
  });

  it("sums line items to the cent", () => {
    expect(sumOfItems([{ productId: "a", quantity: 3, unitPrice: 0.1 }])).toBe(0.3);
  });

  it("rejects adding items to a cart that does not exist", () => {
    expect(given(carts, []).decide(...item("p-1", 1, 1))).toMatchObject({ code: "AGGREGATE_NOT_FOUND" });
  });

  it("rejects checking out an empty cart", () => {
    expect(given(carts, [created]).decide("CartCheckedOut", { orderId: "o-1" })).toEqual({
      accepted: false,
      code: "EMPTY_CART",
      reason: "Cart agg-1 has no items to check out",
    });
  });

  it("rejects any change after checkout or expiry", () => {
    const checkedOut = given(carts, [created, item("p-1", 1, 1), ["CartCheckedOut", { orderId: "o-1" }]]);
    const expired = given(carts, [created, ["CartExpired"]]);
    for (const cart of [checkedOut, expired]) {
      expect(cart.decide(...item("p-2", 1, 1))).toMatchObject({ code: "INVALID_STATE_TRANSITION" });
      expect(cart.decide("CartCheckedOut", { orderId: "o-2" })).toMatchObject({
        code: "INVALID_STATE_TRANSITION",
      });
      expect(cart.decide("CartExpired")).toMatchObject({ code: "INVALID_STATE_TRANSITION" });
    }
    expect(checkedOut.decide("CartExpired")).toMatchObject({
      reason: "CartExpired is not allowed when Cart agg-1 is CheckedOut (only when Open)",
    });
  });

  it("rejects creating a cart twice", () => {
    expect(given(carts, [created]).decide(...created)).toMatchObject({ code: "AGGREGATE_ALREADY_EXISTS" });
  });
});
