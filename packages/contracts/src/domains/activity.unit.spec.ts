import { describe, expect, it } from "vitest";
import { validateEnvelope } from "../validation.ts";
import { domainForEventType } from "../registry.ts";
import { activity, userActivityEnvelope } from "./activity.ts";
import { given } from "./spec-support.ts";

describe("user activity", () => {
  it("accepts any lowercase event type and counts them per user", () => {
    const { state } = given(
      activity,
      [["login", { ipAddress: "192.168.1.1" }], ["page_view", { path: "/" }], ["purchase"], ["logout"]],
      "user123",
    );
    expect(state).toMatchObject({ userId: "user123", count: 4, lastEventType: "logout" });
    expect(state.firstEventAt! < state.lastEventAt!).toBe(true);
  });

  it("keeps free-form types apart from the PascalCase types of other domains", () => {
    expect(domainForEventType("profile_update")?.name).toBe("activity");
    expect(domainForEventType("checkout.v2")?.name).toBe("activity");
    expect(domainForEventType("OrderCreated")?.name).toBe("orders");
    expect(domainForEventType("Login")).toBeUndefined();
    expect(domainForEventType("9lives")).toBeUndefined();
  });

  it("maps the seed's POST /api/events body onto a valid envelope", () => {
    const input = userActivityEnvelope({
      userId: "user123",
      eventType: "login",
      metadata: { userAgent: "k6" },
    });
    expect(input).toEqual({
      eventType: "login",
      aggregateId: "user123",
      aggregateType: "User",
      data: { userAgent: "k6" },
      metadata: { userId: "user123" },
    });
    expect(validateEnvelope(input).ok).toBe(true);
    expect(userActivityEnvelope({ userId: "u", eventType: "logout" }).data).toEqual({});
  });
});
