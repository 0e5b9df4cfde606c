import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { onboarding, REMINDER_SKIPPED, type OnboardingState } from "./onboarding.ts";
import type { Current, Input, Outcome } from "./saga.ts";
import { stepEventId } from "./step-id.ts";

// The onboarding saga after its customer's personal data was erased: the e-mail is gone from
// its state, a new one is not taken, the reminder is skipped with its reason, activation works.
const context = {
  processId: "onboarding:u",
  now: "2026-01-01T00:00:00.000Z",
  settings: { paymentTimeoutMs: 1000, cartIdleMs: 2000, activationReminderMs: 3000, lowStockThreshold: 5 },
  eventIdOf: (step: string) => stepEventId("onboarding:u", step),
};
let version = 0;
const event = (eventType: string, data: Record<string, unknown> = {}): Input => ({
  kind: "event",
  event: {
    eventId: randomUUID(),
    eventType,
    aggregateType: "Customer",
    aggregateId: "u",
    timestamp: context.now,
    version: ++version,
    position: String(version),
    storedAt: context.now,
    data,
    metadata: { correlationId: "c", source: "spec" },
  },
});
const timer: Input = { kind: "timer", name: "activation-reminder" };

function run(...inputs: Input[]): Outcome<OnboardingState>[] {
  let now: Current<OnboardingState> = { state: onboarding.initial(), status: "active", stage: "new" };
  return inputs.map((input) => {
    const outcome = onboarding.decide(now, input, context) ?? { ...now };
    now = { state: outcome.state, status: outcome.status, stage: outcome.stage };
    return outcome;
  });
}

const registered = event("CustomerRegistered", { givenName: "Ana", email: "ana@example.com" });

describe("onboarding decider: erasure", () => {
  it("forgets the e-mail, takes no new one and skips the reminder, saying why", () => {
    const out = run(
      registered,
      event("CustomerErased"),
      event("CustomerUpdated", { email: "new@example.com" }),
      timer,
    );
    expect(out[1]).toMatchObject({
      status: "active",
      stage: "awaiting-confirmation",
      state: { customerId: "u", email: null, erased: true },
    });
    expect(out[2]!.state.email).toBeNull();
    expect(out[3]).toMatchObject({ status: "active", stage: "reminder-skipped" });
    expect(out[3]!.commands).toEqual([
      {
        step: "reminder",
        eventType: "CustomerActivationReminded",
        aggregateType: "Customer",
        aggregateId: "u",
        data: {},
        skip: REMINDER_SKIPPED,
      },
    ]);
  });

  it("still activates an erased customer who confirms", () => {
    const out = run(registered, event("CustomerErased"), event("CustomerActivated"));
    expect(out[2]).toMatchObject({ status: "completed", outcome: "activated", state: { email: null } });
  });

  it("forgets the e-mail on deletion, also of a process that has ended", () => {
    const deleted = run(registered, event("CustomerDeleted"));
    expect(deleted[1]).toMatchObject({
      status: "cancelled",
      outcome: "deleted",
      state: { email: null, erased: true },
    });
    const afterActivation = run(registered, event("CustomerActivated"), event("CustomerDeleted"));
    expect(afterActivation[2]).toMatchObject({ status: "completed", state: { email: null, erased: true } });
  });
});
