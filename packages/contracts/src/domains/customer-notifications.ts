// Mail the customer is sent while signing up: a welcome (with how to confirm) on registration,
// a reminder when the account is still not confirmed after a while, and the seed's welcome on a
// direct creation. Each names the address the event carries.
import type { NotificationRule } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { fullName } from "./customer-names.ts";

const str = (event: EventEnvelope, name: string): string | undefined => {
  const value = event.data[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
};
// The data is v2 (readers upcast): given and family names.
const nameOf = (event: EventEnvelope): string | undefined =>
  fullName(str(event, "givenName") ?? null, str(event, "familyName") ?? null) ?? undefined;
const to = (event: EventEnvelope) => {
  const address = str(event, "email");
  return address === undefined ? {} : { to: address };
};

export const customerNotificationRules: NotificationRule[] = [
  {
    name: "customer-welcome",
    eventType: "CustomerCreated",
    channels: ["email"],
    template: (event) => ({
      subject: `Welcome, ${nameOf(event)}`,
      text: `Hello ${nameOf(event)}, your customer account ${event.aggregateId} is ready.`,
      ...to(event),
    }),
  },
  {
    name: "customer-registered",
    eventType: "CustomerRegistered",
    channels: ["email"],
    template: (event) => ({
      subject: `Welcome, ${nameOf(event)}: please confirm your account`,
      text: `Hello ${nameOf(event)}, your customer account ${event.aggregateId} is waiting for your confirmation (POST /customer/${event.aggregateId}/activate).`,
      ...to(event),
    }),
  },
  {
    name: "customer-activation-reminder",
    eventType: "CustomerActivationReminded",
    channels: ["email"],
    template: (event) => ({
      subject: "Your account is not confirmed yet",
      text: `Your customer account ${event.aggregateId} is still waiting for your confirmation (POST /customer/${event.aggregateId}/activate).`,
      ...to(event),
    }),
  },
];
