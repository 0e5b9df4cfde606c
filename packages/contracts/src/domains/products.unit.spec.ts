import { describe, expect, it } from "vitest";
import { products } from "./products.ts";
import { given, type Step } from "./spec-support.ts";

const created: Step = ["ProductCreated", { name: "Mug", sku: "MUG-1", price: 7.5, description: "white" }];

describe("products", () => {
  it("accepts create, update, deactivate, activate, replenish and delete", () => {
    const { state } = given(products, [
      created,
      ["ProductUpdated", { price: 8 }],
      ["ProductDeactivated"],
      ["ProductActivated"],
      ["StockReplenished", { quantity: 20 }],
      ["StockReplenished", { quantity: 5 }],
    ]);
    expect(state).toMatchObject({
      status: "Active",
      name: "Mug",
      sku: "MUG-1",
      price: 8,
      description: "white",
      replenished: 25,
    });
    expect(given(products, [created, ["ProductDeleted"]]).state.status).toBe("Deleted");
  });

  it("rejects changes to a product that does not exist, and creating twice", () => {
    expect(given(products, []).decide("ProductUpdated", { price: 1 })).toMatchObject({
      code: "AGGREGATE_NOT_FOUND",
    });
    expect(given(products, [created]).decide(...created)).toMatchObject({ code: "AGGREGATE_ALREADY_EXISTS" });
  });

  it("activates only inactive products and deactivates only active ones", () => {
    expect(given(products, [created]).decide("ProductActivated")).toEqual({
      accepted: false,
      code: "INVALID_STATE_TRANSITION",
      reason: "ProductActivated is not allowed when Product agg-1 is Active (only when Inactive)",
    });
    expect(given(products, [created, ["ProductDeactivated"]]).decide("ProductDeactivated")).toMatchObject({
      code: "INVALID_STATE_TRANSITION",
    });
  });

  it("accepts nothing after deletion", () => {
    const deleted = given(products, [created, ["ProductDeleted"]]);
    for (const type of [
      "ProductUpdated",
      "ProductDeleted",
      "ProductActivated",
      "ProductDeactivated",
      "StockReplenished",
    ]) {
      expect(deleted.decide(type, { price: 1, quantity: 1 })).toMatchObject({
        code: "INVALID_STATE_TRANSITION",
      });
    }
  });
});
