// The checkout scenario as data: orders through checkout only, a share of them declined, each
// flow waiting for the payment the process manager initiates before it settles it; k6 and the
// native engine get the same flows under the same names.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { execName, k6Scenarios } from "../scenarios/lib/k6-options.ts";
import {
  businessFlows,
  checkoutFlows,
  checkoutStock,
  fill,
  flowSpecs,
  isAwait,
  reached,
  type FlowStep,
} from "../scenarios/lib/flow-specs.ts";
import { planFor } from "../scenarios/lib/model.ts";

const writes = (name: "checkout" | "checkout-declined") =>
  flowSpecs[name].steps.map((s) => (isAwait(s) ? `await ${s.await.field}` : s.name));

describe("the checkout scenario's plan", () => {
  it("runs the two checkout flows only, RATE flows per second with DECLINED_SHARE declined", () => {
    const plan = planFor("checkout", { RATE: "8", DURATION: "12s" });
    expect(plan.activity).toBeNull();
    expect(plan.flows.map((f) => [f.flow, f.arrival?.startRate])).toEqual([
      ["checkout", 6],
      ["checkout-declined", 2],
    ]);
    expect(plan.declinedShare).toBe(0.25);
    expect(plan.processManager).toBe("http://127.0.0.1:8086");
    expect(plan.seconds).toBe(12);
    expect(plan.thresholds.map((t) => t.metric)).toContain("flow_failures");
    const half = planFor("checkout", { RATE: "4", DECLINED_SHARE: "0.5", FLOW_AWAIT_MS: "5000" });
    expect(half.flows.map((f) => f.arrival?.startRate)).toEqual([2, 2]);
    expect(half.flows.every((f) => f.awaitMs === 5000 && f.graceSeconds === 20)).toBe(true);
  });

  it("keeps at least one flow of each kind and never more than RATE", () => {
    for (const [rate, share] of [
      ["1", "0"],
      ["3", "1"],
      ["2", "0.9"],
    ] as const) {
      const rates = planFor("checkout", { RATE: rate, DECLINED_SHARE: share }).flows.map(
        (f) => f.arrival!.startRate,
      );
      expect(rates.every((r) => r >= 1)).toBe(true);
      expect(rates[0]! + rates[1]!).toBe(Math.max(2, Number(rate)));
    }
  });

  it("leaves the checkout flows out of smoke and flows, and names no process manager there", () => {
    for (const scenario of ["smoke", "flows"] as const) {
      const plan = planFor(scenario, {});
      expect(plan.flows.map((f) => f.flow)).toEqual(businessFlows);
      expect(plan.processManager).toBeNull();
    }
  });

  it("gives k6 one scenario per flow, each calling a function the script exports", () => {
    const k6 = k6Scenarios(planFor("checkout", {}));
    expect(Object.keys(k6).sort()).toEqual(["checkout", "checkout-declined", "probe"]);
    expect(k6["checkout-declined"]!.exec).toBe("checkoutDeclined");
    const script = readFileSync(join(import.meta.dirname, "..", "scenarios", "checkout.ts"), "utf8");
    for (const flow of checkoutFlows) expect(script).toMatch(new RegExp(`export const ${execName(flow)} =`));
  });
});

describe("the checkout flows", () => {
  it("set the stock, fill and check out a cart, wait for the payment, then settle it", () => {
    const common = [
      "PUT /api/inventory/{id}",
      "PUT /api/inventory/{id}",
      "POST /api/carts",
      "POST /api/carts/{id}/items",
      "POST /api/carts/{id}/items",
      "POST /api/carts/{id}/checkout",
      "await paymentId",
    ];
    expect(writes("checkout")).toEqual([
      ...common,
      "POST /api/payments/{id}/authorize",
      "POST /api/payments/{id}/complete",
    ]);
    expect(writes("checkout-declined")).toEqual([...common, "POST /api/payments/{id}/fail"]);
    // The order id comes from the checkout's answer, the payment id from the order's read model.
    const checkout = flowSpecs.checkout.steps[5] as FlowStep;
    expect(checkout.capture).toEqual({ order: "orderId" });
    const wait = flowSpecs.checkout.steps[6]!;
    expect(isAwait(wait) && wait.capture).toEqual({ payment: "paymentId" });
    expect(isAwait(wait) && fill(wait.await.path, { order: "o/1" }, true)).toBe("/api/orders/o%2F1");
  });

  it("end Confirmed, or Cancelled with both products' stock back", () => {
    expect(flowSpecs.checkout.check).toMatchObject({ field: "status", equals: "Confirmed" });
    expect(flowSpecs.checkout.alsoCheck).toBeUndefined();
    const declined = flowSpecs["checkout-declined"];
    expect(declined.check).toMatchObject({ field: "status", equals: "Cancelled" });
    expect(declined.alsoCheck!.map((c) => fill(c.path, { productId: "p" }))).toEqual([
      "/api/inventory/p",
      "/api/inventory/p-b",
    ]);
    const back = declined.alsoCheck![0]!;
    expect(reached(back, { available: checkoutStock, reserved: 0 })).toBe(true);
    expect(reached(back, { available: checkoutStock - 2, reserved: 2 })).toBe(false);
  });

  it("wait until the order shows a payment id, whatever it is", () => {
    const wait = flowSpecs.checkout.steps.find(isAwait)!.await;
    expect(reached(wait, { status: "Validated", paymentId: null })).toBe(false);
    expect(reached(wait, { status: "Created" })).toBe(false);
    expect(reached(wait, { status: "Validated", paymentId: "5f0c" })).toBe(true);
  });
});
