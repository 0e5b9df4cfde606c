import { describe, expect, it } from "vitest";
import { readAfter } from "./app.ts";

describe("a write's answer for read-your-writes", () => {
  it("names the event id to wait for and the read route of the event's aggregate", () => {
    const eventId = "3f1c2a9e-0000-4000-8000-000000000001";
    expect(readAfter({ eventId, eventType: "CustomerCreated", aggregateId: "c 1" })).toEqual({
      afterEventId: eventId,
      path: `/customer/c%201?afterEventId=${eventId}`,
    });
    expect(readAfter({ eventId, eventType: "OrderCreated", aggregateId: "o-1" }).path).toBe(
      `/api/orders/o-1?afterEventId=${eventId}`,
    );
    expect(readAfter({ eventId, eventType: "page_view", aggregateId: "u-1" }).path).toBe(
      `/api/events/user/u-1?afterEventId=${eventId}`,
    );
  });

  it("gives the event id alone when no read model folds the event", () => {
    expect(readAfter({ eventId: "e", eventType: "NoSuchEvent", aggregateId: "x" })).toEqual({
      afterEventId: "e",
    });
  });
});
