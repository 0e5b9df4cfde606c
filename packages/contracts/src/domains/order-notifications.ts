// The seed's notification handlers for orders: OrderCreated and OrderConfirmed by e-mail,
// OrderShipped by e-mail and SMS with the tracking number, OrderDelivered by e-mail and push.
import type { NotificationRule } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";

const amount = (value: unknown): string => (typeof value === "number" ? value.toFixed(2) : String(value));
const field = (event: EventEnvelope, name: string): string => {
  const value = event.data[name];
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
};

export const orderNotificationRules: NotificationRule[] = [
  {
    name: "order-created",
    eventType: "OrderCreated",
    channels: ["email"],
    template: (event) => {
      const items = Array.isArray(event.data["items"]) ? event.data["items"].length : 0;
      const currency = event.data["currency"] ? ` ${field(event, "currency")}` : "";
      return {
        subject: `Order ${event.aggregateId} received`,
        text: `We received your order ${event.aggregateId}: ${items} item(s), total ${amount(event.data["totalAmount"])}${currency}.`,
      };
    },
  },
  {
    name: "order-confirmed",
    eventType: "OrderConfirmed",
    channels: ["email"],
    template: (event) => ({
      subject: `Order ${event.aggregateId} confirmed`,
      text: `Your order ${event.aggregateId} is confirmed and will be shipped soon.`,
    }),
  },
  {
    name: "order-cancelled",
    eventType: "OrderCancelled",
    channels: ["email"],
    template: (event) => ({
      subject: `Order ${event.aggregateId} cancelled`,
      text: `Your order ${event.aggregateId} was cancelled: ${field(event, "reason")}.`,
    }),
  },
  {
    name: "order-shipped",
    eventType: "OrderShipped",
    channels: ["email", "sms"],
    template: (event) => {
      const carrier = event.data["carrier"] ? ` with ${field(event, "carrier")}` : "";
      return {
        subject: `Order ${event.aggregateId} shipped`,
        text: `Your order ${event.aggregateId} has shipped${carrier}. Tracking number: ${field(event, "trackingNumber")}.`,
      };
    },
  },
  {
    name: "order-delivered",
    eventType: "OrderDelivered",
    channels: ["email", "push"],
    template: (event) => ({
      subject: `Order ${event.aggregateId} delivered`,
      text: `Your order ${event.aggregateId} has been delivered. Enjoy!`,
    }),
  },
];
