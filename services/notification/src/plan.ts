// What one committed event must lead to: a delivery per (rule, channel) of its domain's rules
// and one per matching webhook subscription. Pure, so the consumer can plan a whole batch and
// record it in one transaction.
import type {
  EventEnvelope,
  NotificationChannel,
  NotificationMessage,
  NotificationRule,
} from "@eventscope/contracts";

export type Channel = NotificationChannel | "webhook";
export const channels: readonly Channel[] = ["email", "sms", "push", "webhook"];

export interface Subscription {
  id: string;
  url: string;
  eventTypes: string[];
  /** A `disabled` subscription (switched off after repeated failures) is sent nothing. */
  status: "active" | "disabled";
  createdAt: string;
}

export interface PlannedDelivery {
  eventId: string;
  eventType: string;
  rule: string;
  channel: Channel;
  target: string;
  subject: string | null;
  body: string | null;
  subscriptionId: string | null;
  event: EventEnvelope;
  correlationId: string;
  traceparent: string | null;
  acceptedAt: string;
  /** `dead` at once when the rule's template cannot render this event: retrying will not help. */
  status: "pending" | "dead";
  lastError: string | null;
}

export interface PlanOptions {
  emailTo: string;
  /** The consumer span of the event, to be the parent of every attempt. */
  traceparent: string | undefined;
}

export const subscriptionMatches = (subscription: Pick<Subscription, "eventTypes">, eventType: string) =>
  subscription.eventTypes.includes("*") || subscription.eventTypes.includes(eventType);

/** Webhook deliveries are keyed by subscription, so each subscriber gets the event once. */
export const webhookRule = (subscriptionId: string): string => `webhook:${subscriptionId}`;

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.length > 0 ? value : undefined;

/**
 * Who a message goes to. E-mail: the address the rule names, or one in the event, else the
 * default. SMS and push: a phone in the event, else the user it concerns (the provider maps a
 * user to a phone or device), else the aggregate.
 */
export function recipient(
  channel: NotificationChannel,
  event: EventEnvelope,
  message: Partial<NotificationMessage>,
  emailTo: string,
): string {
  const { data, metadata } = event;
  const extra = metadata as Record<string, unknown>;
  if (channel === "email") return message.to ?? text(data["email"]) ?? text(extra["email"]) ?? emailTo;
  const user = text(metadata.userId) ?? text(data["customerId"]) ?? text(data["userId"]);
  const phone = channel === "sms" ? (text(data["phone"]) ?? text(extra["phone"])) : undefined;
  return phone ?? user ?? `${event.aggregateType}/${event.aggregateId}`;
}

export function planDeliveries(
  event: EventEnvelope,
  rules: readonly NotificationRule[],
  subscriptions: readonly Subscription[],
  options: PlanOptions,
): PlannedDelivery[] {
  const base = {
    eventId: event.eventId,
    eventType: event.eventType,
    event,
    correlationId: event.metadata.correlationId,
    traceparent: options.traceparent ?? null,
    acceptedAt: event.metadata.acceptedAt ?? event.timestamp,
  };
  const out: PlannedDelivery[] = [];
  for (const rule of rules) {
    let message: Partial<NotificationMessage> = {};
    let lastError: string | null = null;
    try {
      message = rule.template(event);
    } catch (error) {
      lastError = `template failed: ${(error as Error).message}`;
    }
    for (const channel of rule.channels) {
      out.push({
        ...base,
        rule: rule.name,
        channel,
        target: recipient(channel, event, message, options.emailTo),
        subject: message.subject ?? null,
        body: message.text ?? null,
        subscriptionId: null,
        status: lastError ? "dead" : "pending",
        lastError,
      });
    }
  }
  for (const subscription of subscriptions) {
    if (subscription.status !== "active" || !subscriptionMatches(subscription, event.eventType)) continue;
    out.push({
      ...base,
      rule: webhookRule(subscription.id),
      channel: "webhook",
      target: subscription.url,
      subject: null,
      body: null,
      subscriptionId: subscription.id,
      status: "pending",
      lastError: null,
    });
  }
  return out;
}
