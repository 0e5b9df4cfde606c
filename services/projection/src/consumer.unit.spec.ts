import { describe, expect, it } from "vitest";
import { erasureOf } from "./consumer.ts";
import { committed } from "./spec-support.ts";

describe("erasureOf", () => {
  const customer = {
    customerId: "c-1",
    status: "Active",
    name: "Ada Lovelace",
    givenName: "Ada",
    familyName: "Lovelace",
    email: "ada@example.org",
    phone: null,
    deviceToken: "tok-1",
    preferences: { theme: "dark" },
  };

  it.each(["CustomerDeleted", "CustomerErased"])(
    "names the subject %s erases and the text its documents hold",
    (type) => {
      const event = committed("Customer", type, { aggregateId: "c-1", version: 4 });
      expect(erasureOf(event, [customer])).toEqual({
        subjectId: "c-1",
        values: ["Ada Lovelace", "Ada", "Lovelace", "ada@example.org", "tok-1"],
        eventType: type,
        eventId: event.eventId,
      });
    },
  );

  it("holds no value for a subject without a document, or whose personal fields are gone", () => {
    const event = committed("Customer", "CustomerErased", { aggregateId: "c-1" });
    expect(erasureOf(event, [undefined, null])?.values).toEqual([]);
    expect(
      erasureOf(event, [
        { ...customer, name: null, givenName: null, familyName: null, email: null, deviceToken: null },
      ])?.values,
    ).toEqual([]);
  });

  it("is undefined for an event that erases nobody", () => {
    expect(
      erasureOf(committed("Customer", "CustomerDeactivated", { aggregateId: "c-1" }), [customer]),
    ).toBeUndefined();
    expect(
      erasureOf(committed("Order", "OrderCancelled", { aggregateId: "o-1" }), [customer]),
    ).toBeUndefined();
  });
});
