import { describe, expect, it } from "vitest";
import { foldAsOf, upToTime } from "./as-of.ts";
import { documentModels } from "./read-models.ts";
import { committed } from "./spec-support.ts";

const at = (iso: string) => Date.parse(iso);
const orders = documentModels.find((m) => m.name === "orders")!;

describe("upToTime", () => {
  const stream = ["10:00:00", "10:00:05", "10:00:03", "10:00:09"].map((time, i) =>
    committed("Task", "TaskUpdated", { version: i + 1, timestamp: `2025-01-15T${time}.000Z` }),
  );

  it("cuts a stream after its last event at or before the time, the time itself included", () => {
    expect(upToTime(stream, at("2025-01-15T10:00:05.000Z")).map((e) => e.version)).toEqual([1, 2, 3]);
    expect(upToTime(stream, at("2025-01-15T10:00:04.999Z")).map((e) => e.version)).toEqual([1, 2, 3]);
    expect(upToTime(stream, at("2025-01-15T10:00:02.000Z")).map((e) => e.version)).toEqual([1]);
    expect(upToTime(stream, at("2025-01-15T10:00:10.000Z"))).toHaveLength(4);
  });

  it("keeps no event before the stream's first", () => {
    expect(upToTime(stream, at("2025-01-15T09:59:59.999Z"))).toEqual([]);
  });
});

describe("foldAsOf", () => {
  const created = committed("Order", "OrderCreated", {
    aggregateId: "o-1",
    position: 10,
    data: { customerId: "c-1", items: [{ productId: "p-1", quantity: 1, price: 4 }], totalAmount: 4 },
  });
  const validated = committed("Order", "OrderValidated", { aggregateId: "o-1", version: 2, position: 30 });
  const initiated = committed("Payment", "PaymentInitiated", {
    aggregateId: "pay-1",
    position: 20,
    data: { orderId: "o-1", amount: 4 },
  });
  const completed = committed("Payment", "PaymentCompleted", {
    aggregateId: "pay-1",
    version: 2,
    position: 100,
  });

  it("folds the order's and its payments' streams together in global position order", () => {
    const result = foldAsOf(orders, [
      [created, validated],
      [initiated, completed],
    ]);
    expect(result?.events).toBe(4);
    expect(result?.doc).toMatchObject({
      status: "Validated",
      paymentId: "pay-1",
      paymentStatus: "Completed",
    });
  });

  it("orders by position as integers, not as text", () => {
    // "100" sorts before "20" as text: a payment's completion before its initiation folds to Initiated.
    const result = foldAsOf(orders, [[completed], [initiated], [created]]);
    expect(result?.doc).toMatchObject({ paymentStatus: "Completed" });
  });

  it("answers undefined when none of the events had happened, or none is the model's", () => {
    expect(foldAsOf(orders, [[], []])).toBeUndefined();
    const tasks = documentModels.find((m) => m.name === "tasks")!;
    expect(foldAsOf(tasks, [[created, initiated]])).toBeUndefined();
  });

  it("drops a customer's personal fields when the fold meets their erasure", () => {
    const customers = documentModels.find((m) => m.name === "customers")!;
    const result = foldAsOf(customers, [
      [
        committed("Customer", "CustomerCreated", {
          aggregateId: "c-1",
          position: 1,
          data: { givenName: "Ada", email: "ada@example.org" },
        }),
        committed("Customer", "CustomerErased", { aggregateId: "c-1", version: 2, position: 2 }),
      ],
    ]);
    expect(result?.doc).toMatchObject({ customerId: "c-1", givenName: null, email: null, status: "Active" });
  });
});
