// Customer onboarding (seed 001): a registered customer gets the welcome mail (the
// customer-registered notification rule) and is activated when they confirm
// (POST /customer/{id}/activate); one who has not confirmed in time is sent a reminder. A
// customer's deletion or erasure drops the e-mail the process keeps; a reminder due after it
// has no address to go to and is skipped, saying so, while the process still awaits activation.
import type { CustomerRegistered } from "@eventscope/contracts";
import { after, type Saga } from "./saga.ts";

export const ACTIVATION_REMINDER = "activation-reminder";

export interface OnboardingState {
  customerId: string | null;
  email: string | null;
  reminded: boolean;
  /** Set once the customer's personal data was erased (CustomerDeleted, CustomerErased). */
  erased?: true;
}

/** Why the reminder of an erased customer is not sent. */
export const REMINDER_SKIPPED = "the customer's personal data was erased: no address to remind";

const forget = (s: OnboardingState): OnboardingState => ({ ...s, email: null, erased: true });

export const onboardingProcessId = (customerId: string): string => `onboarding:${customerId}`;

export const onboarding: Saga<OnboardingState> = {
  type: "onboarding",
  trace: "process",
  route: (event) =>
    event.aggregateType === "Customer"
      ? [
          {
            processId: onboardingProcessId(event.aggregateId),
            start: event.eventType === "CustomerRegistered",
          },
        ]
      : [],
  initial: () => ({ customerId: null, email: null, reminded: false }),
  decide(now, input, context) {
    const s = now.state;
    if (input.kind === "rejected") return undefined;
    if (input.kind === "timer") {
      if (input.name !== ACTIVATION_REMINDER || now.status !== "active") return undefined;
      return {
        ...now,
        state: { ...s, reminded: true },
        stage: s.erased ? "reminder-skipped" : "reminded",
        commands: [
          {
            step: "reminder",
            eventType: "CustomerActivationReminded",
            aggregateType: "Customer",
            aggregateId: s.customerId!,
            data: s.email ? { email: s.email } : {},
            ...(s.erased ? { skip: REMINDER_SKIPPED } : {}),
          },
        ],
      };
    }
    const { event } = input;
    switch (event.eventType) {
      case "CustomerRegistered": {
        if (s.customerId !== null) return undefined;
        const { email } = event.data as CustomerRegistered;
        const due = after(context.now, context.settings.activationReminderMs);
        return {
          state: { ...s, customerId: event.aggregateId, email },
          status: "active",
          stage: "awaiting-confirmation",
          setTimers: { [ACTIVATION_REMINDER]: due },
        };
      }
      case "CustomerUpdated":
      case "CustomerEmailChanged": {
        const email = event.data["email"];
        return typeof email === "string" && !s.erased ? { ...now, state: { ...s, email } } : undefined;
      }
      case "CustomerErased":
        return { ...now, state: forget(s) };
      case "CustomerActivated":
        if (now.status !== "active") return undefined;
        return {
          ...now,
          status: "completed",
          stage: "activated",
          outcome: "activated",
          cancelTimers: [ACTIVATION_REMINDER],
        };
      case "CustomerDeleted":
        if (now.status !== "active") return { ...now, state: forget(s) };
        return {
          ...now,
          state: forget(s),
          status: "cancelled",
          stage: "deleted",
          outcome: "deleted",
          cancelTimers: [ACTIVATION_REMINDER],
        };
      default:
        return undefined;
    }
  },
};
