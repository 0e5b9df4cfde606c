import { describe, expect, it } from "vitest";
import { customers } from "./customers.ts";
import { given } from "./spec-support.ts";

const created: [string, Record<string, unknown>] = [
  "CustomerCreated",
  { name: "Ana", email: "ana@example.com" },
];

describe("customers", () => {
  it("accepts create, e-mail change and delete", () => {
    const { state } = given(customers, [
      created,
      ["CustomerEmailChanged", { email: "ana@example.org" }],
      ["CustomerDeleted", { reason: "asked to" }],
    ]);
    expect(state).toMatchObject({
      customerId: "agg-1",
      status: "Deleted",
      name: "Ana",
      email: "ana@example.org",
      deleteReason: "asked to",
    });
  });

  it("rejects creating a customer twice", () => {
    expect(given(customers, [created]).decide(...created)).toMatchObject({
      code: "AGGREGATE_ALREADY_EXISTS",
    });
  });

  it("rejects changes to a customer that does not exist", () => {
    const none = given(customers, []);
    expect(none.decide("CustomerEmailChanged", { email: "a@b.io" })).toMatchObject({
      code: "AGGREGATE_NOT_FOUND",
    });
    expect(none.decide("CustomerDeleted")).toMatchObject({ code: "AGGREGATE_NOT_FOUND" });
  });

  it("rejects changing to the same e-mail, ignoring case", () => {
    expect(given(customers, [created]).decide("CustomerEmailChanged", { email: "ANA@example.com" })).toEqual({
      accepted: false,
      code: "NO_CHANGE",
      reason: "CustomerEmailChanged changes nothing: Customer agg-1 already has ANA@example.com",
    });
  });

  it("rejects any change after deletion", () => {
    const deleted = given(customers, [created, ["CustomerDeleted", {}]]);
    expect(deleted.decide("CustomerEmailChanged", { email: "new@example.com" })).toEqual({
      accepted: false,
      code: "INVALID_STATE_TRANSITION",
      reason: "CustomerEmailChanged is not allowed when Customer agg-1 is Deleted (only when Active)",
    });
    expect(deleted.decide("CustomerDeleted")).toMatchObject({ code: "INVALID_STATE_TRANSITION" });
    expect(deleted.decide(...created)).toMatchObject({ code: "AGGREGATE_ALREADY_EXISTS" });
  });

  it("sends a welcome e-mail to the new customer's address", () => {
    const [rule] = customers.notificationRules;
    const event = given(customers, [created]).events[0]!;
    expect(rule?.template(event)).toEqual({
      subject: "Welcome, Ana",
      text: "Hello Ana, your customer account agg-1 is ready.",
      to: "ana@example.com",
    });
  });
});

describe("customer lifecycle (the roadmap seed)", () => {
  const registered: [string, Record<string, unknown>] = [
    "CustomerRegistered",
    { name: "Bo", email: "bo@example.com", phone: "+33 6 12 34 56 78" },
  ];

  it("is Registered until activated, then can be deactivated and activated again", () => {
    const { state } = given(customers, [
      registered,
      ["CustomerActivationReminded", { email: "bo@example.com" }],
      ["CustomerActivated"],
      ["CustomerLoggedIn", { sessionId: "s1" }],
      ["CustomerPreferencesUpdated", { preferences: { language: "fr" } }],
      ["CustomerUpdated", { deviceToken: "dev-1" }],
      ["CustomerLoggedOut", {}],
      ["CustomerDeactivated", { reason: "asked to" }],
      ["CustomerActivated"],
    ]);
    expect(state).toMatchObject({
      status: "Active",
      phone: "+33 6 12 34 56 78",
      deviceToken: "dev-1",
      preferences: { language: "fr" },
    });
  });

  it("rejects activating an active customer, reminding one who confirmed, and logging in when deactivated", () => {
    const active = given(customers, [registered, ["CustomerActivated"]]);
    expect(active.decide("CustomerActivated")).toMatchObject({ code: "INVALID_STATE_TRANSITION" });
    expect(active.decide("CustomerActivationReminded", {})).toMatchObject({
      code: "INVALID_STATE_TRANSITION",
    });
    const inactive = given(customers, [registered, ["CustomerActivated"], ["CustomerDeactivated", {}]]);
    expect(inactive.decide("CustomerLoggedIn", {})).toMatchObject({ code: "INVALID_STATE_TRANSITION" });
  });
});
