import { describe, expect, it } from "vitest";
import { notificationRulesFor, type EventEnvelope, type NotificationRule } from "@eventscope/contracts";
import { planDeliveries, recipient, subscriptionMatches, webhookRule, type Subscription } from "./plan.ts";

const event = (eventType: string, data: Record<string, unknown> = {}, extra: object = {}): EventEnvelope => ({
  eventId: "0b7c1a52-2f4e-4a43-9d4c-3a1e1f3b9c01",
  eventType,
  aggregateId: "order-42",
  aggregateType: "Order",
  timestamp: "2025-01-01T00:00:00.000Z",
  data,
  metadata: { correlationId: "corr-1", source: "test", acceptedAt: "2025-01-01T00:00:01.000Z", ...extra },
});

const subscription = (id: string, eventTypes: string[]): Subscription => ({
  id,
  url: `http://hooks.test/${id}`,
  eventTypes,
  status: "active",
  createdAt: "2025-01-01T00:00:00.000Z",
});

const options = {
  emailTo: "ops@example.test",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
};

describe("planning deliveries", () => {
  it("gives OrderShipped an e-mail and an SMS, both naming the tracking number", () => {
    const shipped = event("OrderShipped", { trackingNumber: "TRK-123", carrier: "DHL" });
    const plan = planDeliveries(shipped, notificationRulesFor("OrderShipped"), [], options);
    expect(plan.map((p) => [p.rule, p.channel])).toEqual([
      ["order-shipped", "email"],
      ["order-shipped", "sms"],
    ]);
    for (const p of plan) {
      expect(p.body).toContain("TRK-123");
      expect(p).toMatchObject({
        status: "pending",
        traceparent: options.traceparent,
        correlationId: "corr-1",
      });
      expect(p.acceptedAt).toBe("2025-01-01T00:00:01.000Z");
    }
    expect(plan[0]!.target).toBe("ops@example.test");
  });

  it("follows the seed's channels for every order and payment rule", () => {
    const channelsOf = (type: string) =>
      planDeliveries(event(type, { reason: "declined" }), notificationRulesFor(type), [], options).map(
        (p) => p.channel,
      );
    expect(channelsOf("OrderCreated")).toEqual(["email"]);
    expect(channelsOf("OrderConfirmed")).toEqual(["email"]);
    expect(channelsOf("OrderDelivered")).toEqual(["email", "push"]);
    expect(channelsOf("PaymentCompleted")).toEqual(["email"]);
    expect(channelsOf("PaymentFailed")).toEqual(["email", "sms"]);
    expect(channelsOf("OrderValidated")).toEqual([]);
  });

  it("adds one webhook delivery per subscription that names the type or '*'", () => {
    const subs = [
      subscription("a", ["OrderShipped"]),
      subscription("b", ["*"]),
      subscription("c", ["TaskCreated"]),
    ];
    const plan = planDeliveries(event("OrderShipped", { trackingNumber: "T" }), [], subs, options);
    expect(plan.map((p) => [p.rule, p.channel, p.target, p.subscriptionId])).toEqual([
      [webhookRule("a"), "webhook", "http://hooks.test/a", "a"],
      [webhookRule("b"), "webhook", "http://hooks.test/b", "b"],
    ]);
    expect(subscriptionMatches({ eventTypes: ["OrderShipped"] }, "OrderDelivered")).toBe(false);
  });

  it("sends nothing to a subscription that was switched off", () => {
    const off = { ...subscription("off", ["*"]), status: "disabled" as const };
    const plan = planDeliveries(event("OrderShipped", { trackingNumber: "T" }), [], [off], options);
    expect(plan).toEqual([]);
  });

  it("records a delivery whose template cannot render as dead, with the reason", () => {
    const broken: NotificationRule = {
      name: "broken",
      eventType: "OrderShipped",
      channels: ["email"],
      template: () => {
        throw new Error("no tracking number");
      },
    };
    const [p] = planDeliveries(event("OrderShipped"), [broken], [], options);
    expect(p).toMatchObject({
      status: "dead",
      lastError: "template failed: no tracking number",
      subject: null,
    });
  });
});

describe("recipients", () => {
  it("mails the address the rule names, else one in the event, else the default", () => {
    expect(recipient("email", event("X"), { to: "ada@example.test" }, "d@x")).toBe("ada@example.test");
    expect(recipient("email", event("X", { email: "bob@example.test" }), {}, "d@x")).toBe("bob@example.test");
    expect(recipient("email", event("X"), {}, "d@x")).toBe("d@x");
  });

  it("texts a phone in the event, else the user, else the aggregate; pushes to the user", () => {
    expect(recipient("sms", event("X", { phone: "+4912345" }), {}, "d@x")).toBe("+4912345");
    expect(recipient("sms", event("X", {}, { userId: "u-7" }), {}, "d@x")).toBe("u-7");
    expect(recipient("sms", event("X"), {}, "d@x")).toBe("Order/order-42");
    expect(recipient("push", event("X", { customerId: "c-9", phone: "+49" }), {}, "d@x")).toBe("c-9");
  });
});
