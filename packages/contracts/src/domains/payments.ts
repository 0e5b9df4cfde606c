// Payments (seed 002, with the roadmap seed's names): initiated -> processing -> authorized ->
// completed (PaymentCaptured is accepted for completed), failed before completion, refunded
// after it.
import { unknownEventType, type Domain } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { currency, eventData, identifier, noData, positiveMoney, text } from "./schema.ts";
import { requireNew, requireStatus } from "./transitions.ts";

export type PaymentStatus = "Initiated" | "Processing" | "Authorized" | "Completed" | "Failed" | "Refunded";

export type PaymentState = {
  paymentId: string | null;
  status: PaymentStatus | null;
  orderId: string | null;
  amount: number;
  currency: string | null;
  method: string | null;
  authorizationCode: string | null;
  failureReason: string | null;
  initiatedAt: string | null;
  authorizedAt: string | null;
  completedAt: string | null;
  failedAt: string | null;
  refundedAt: string | null;
  refundReason: string | null;
};

export type PaymentInitiated = { orderId: string; amount: number; method?: string; currency?: string };
export type PaymentAuthorized = { authorizationCode?: string };
export type PaymentFailed = { reason: string };
export type PaymentRefunded = { reason?: string; amount?: number };

export const payments: Domain<PaymentState> = {
  name: "payments",
  aggregateType: "Payment",
  events: {
    PaymentInitiated: eventData(
      "PaymentInitiated",
      { orderId: identifier, amount: positiveMoney, method: text(50), currency },
      ["orderId", "amount"],
    ),
    PaymentProcessing: noData("PaymentProcessing"),
    PaymentAuthorized: eventData("PaymentAuthorized", { authorizationCode: text(100) }),
    PaymentCompleted: noData("PaymentCompleted"),
    PaymentFailed: eventData("PaymentFailed", { reason: text(1000) }, ["reason"]),
    PaymentRefunded: eventData("PaymentRefunded", { reason: text(1000), amount: positiveMoney }),
  },
  initial: () => ({
    paymentId: null,
    status: null,
    orderId: null,
    amount: 0,
    currency: null,
    method: null,
    authorizationCode: null,
    failureReason: null,
    initiatedAt: null,
    authorizedAt: null,
    completedAt: null,
    failedAt: null,
    refundedAt: null,
    refundReason: null,
  }),
  evolve(state, event) {
    const at = event.timestamp;
    switch (event.eventType) {
      case "PaymentInitiated": {
        const data = event.data as PaymentInitiated;
        const { orderId, amount } = data;
        const extra = { currency: data.currency ?? null, method: data.method ?? null };
        return {
          ...state,
          paymentId: event.aggregateId,
          status: "Initiated",
          orderId,
          amount,
          ...extra,
          initiatedAt: at,
        };
      }
      case "PaymentProcessing":
        return { ...state, status: "Processing" };
      case "PaymentRefunded": {
        const reason = (event.data as PaymentRefunded).reason ?? null;
        return { ...state, status: "Refunded", refundedAt: at, refundReason: reason };
      }
      case "PaymentAuthorized": {
        const code = (event.data as PaymentAuthorized).authorizationCode ?? null;
        return { ...state, status: "Authorized", authorizationCode: code, authorizedAt: at };
      }
      case "PaymentCompleted":
        return { ...state, status: "Completed", completedAt: at };
      case "PaymentFailed":
        return {
          ...state,
          status: "Failed",
          failureReason: (event.data as PaymentFailed).reason,
          failedAt: at,
        };
      default:
        return state;
    }
  },
  decide(state, event: EventEnvelope) {
    switch (event.eventType) {
      case "PaymentInitiated":
        return requireNew(event, state.status);
      case "PaymentProcessing":
        return requireStatus(event, state.status, ["Initiated"]);
      case "PaymentAuthorized":
        return requireStatus(event, state.status, ["Initiated", "Processing"]);
      case "PaymentCompleted":
        return requireStatus(event, state.status, ["Authorized"]);
      case "PaymentFailed":
        return requireStatus(event, state.status, ["Initiated", "Processing", "Authorized"]);
      case "PaymentRefunded":
        return requireStatus(event, state.status, ["Completed"]);
      default:
        return unknownEventType("payments", event.eventType);
    }
  },
  // Completed and failed payment events carry no order id or amount: the text names the payment;
  // the notification service may enrich it from the payment's stream.
  notificationRules: [
    {
      name: "payment-completed",
      eventType: "PaymentCompleted",
      channels: ["email"],
      template: (event) => ({
        subject: `Payment ${event.aggregateId} completed`,
        text: `Your payment ${event.aggregateId} was completed. Thank you for your purchase.`,
      }),
    },
    {
      name: "payment-failed",
      eventType: "PaymentFailed",
      channels: ["email", "sms"],
      template: (event) => ({
        subject: `Payment ${event.aggregateId} failed`,
        text: `Your payment ${event.aggregateId} failed: ${String(event.data["reason"])}. Please try another method.`,
      }),
    },
    {
      name: "payment-refunded",
      eventType: "PaymentRefunded",
      channels: ["email"],
      template: (event) => {
        const reason = (event.data as PaymentRefunded).reason;
        return {
          subject: `Payment ${event.aggregateId} refunded`,
          text: `Your payment ${event.aggregateId} was refunded${reason ? `: ${reason}` : ""}.`,
        };
      },
    },
  ],
};
