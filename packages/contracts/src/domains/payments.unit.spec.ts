import { describe, expect, it } from "vitest";
import { payments } from "./payments.ts";
import { given, type Step } from "./spec-support.ts";

const initiated: Step = [
  "PaymentInitiated",
  { orderId: "o-1", amount: 25.25, method: "card", currency: "EUR" },
];

describe("payments", () => {
  it("accepts initiated -> authorized -> completed", () => {
    const { state } = given(payments, [
      initiated,
      ["PaymentAuthorized", { authorizationCode: "A1" }],
      ["PaymentCompleted"],
    ]);
    expect(state).toMatchObject({
      paymentId: "agg-1",
      orderId: "o-1",
      status: "Completed",
      amount: 25.25,
      method: "card",
      currency: "EUR",
      authorizationCode: "A1",
    });
  });

  it("can fail from initiated or authorized", () => {
    expect(given(payments, [initiated, ["PaymentFailed", { reason: "declined" }]]).state).toMatchObject({
      status: "Failed",
      failureReason: "declined",
    });
    expect(
      given(payments, [initiated, ["PaymentAuthorized"]]).decide("PaymentFailed", { reason: "x" }),
    ).toEqual({
      accepted: true,
    });
  });

  it("rejects completing a payment that was not authorized", () => {
    expect(given(payments, [initiated]).decide("PaymentCompleted")).toEqual({
      accepted: false,
      code: "INVALID_STATE_TRANSITION",
      reason: "PaymentCompleted is not allowed when Payment agg-1 is Initiated (only when Authorized)",
    });
  });

  it("rejects steps on a payment that does not exist, and initiating twice", () => {
    for (const type of ["PaymentAuthorized", "PaymentCompleted", "PaymentFailed"]) {
      expect(given(payments, []).decide(type, { reason: "x" })).toMatchObject({
        code: "AGGREGATE_NOT_FOUND",
      });
    }
    expect(given(payments, [initiated]).decide(...initiated)).toMatchObject({
      code: "AGGREGATE_ALREADY_EXISTS",
    });
  });

  it("accepts nothing after completion or failure", () => {
    const completed = given(payments, [initiated, ["PaymentAuthorized"], ["PaymentCompleted"]]);
    const failed = given(payments, [initiated, ["PaymentFailed", { reason: "declined" }]]);
    for (const payment of [completed, failed]) {
      for (const type of ["PaymentAuthorized", "PaymentCompleted", "PaymentFailed"]) {
        expect(payment.decide(type, { reason: "x" })).toMatchObject({ code: "INVALID_STATE_TRANSITION" });
      }
    }
  });

  it("notifies completion by e-mail and failure by e-mail and SMS with the reason", () => {
    const failed = given(payments, [initiated, ["PaymentFailed", { reason: "card declined" }]]).events[1]!;
    const [completedRule, failedRule] = payments.notificationRules;
    expect(completedRule).toMatchObject({ eventType: "PaymentCompleted", channels: ["email"] });
    expect(failedRule).toMatchObject({ eventType: "PaymentFailed", channels: ["email", "sms"] });
    expect(failedRule?.template(failed).text).toContain("failed: card declined.");
  });
});

describe("payments: processing and refunds (the roadmap seed)", () => {
  const initiated: [string, Record<string, unknown>] = ["PaymentInitiated", { orderId: "o-1", amount: 10 }];

  it("refunds a completed payment once, and nothing else", () => {
    const done = given(payments, [
      initiated,
      ["PaymentProcessing"],
      ["PaymentAuthorized", {}],
      ["PaymentCompleted"],
    ]);
    expect(done.decide("PaymentRefunded", { reason: "order cancelled" })).toEqual({ accepted: true });
    const refunded = given(payments, [
      initiated,
      ["PaymentAuthorized", {}],
      ["PaymentCompleted"],
      ["PaymentRefunded", { reason: "order cancelled" }],
    ]);
    expect(refunded.state).toMatchObject({ status: "Refunded", refundReason: "order cancelled" });
    expect(refunded.decide("PaymentRefunded", {})).toMatchObject({ code: "INVALID_STATE_TRANSITION" });
    expect(given(payments, [initiated]).decide("PaymentRefunded", {})).toMatchObject({
      code: "INVALID_STATE_TRANSITION",
    });
  });
});
