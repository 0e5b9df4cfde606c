// Customers: the customer aggregate example (seed 004: create, change e-mail, delete) and the
// roadmap's lifecycle (registered -> activated when the customer confirms -> deactivated and
// back; logins, logouts, preferences). A registered customer is Registered until activated;
// one created directly is Active at once. Deletion is final. Schema v2 of the events with a
// name splits it into given and family names (customer-names.ts upcasts v1). A customer's
// personal data is sealed with their own key in the event store; deleting the customer, or
// erasing them (CustomerErased), deletes the key.
import { unknownEventType, type Domain, type PersonalData } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { customerNotificationRules } from "./customer-notifications.ts";
import { fullName, namesOfCreated, namesOfUpdated } from "./customer-names.ts";
import { email, eventData, noData, nullableText, text } from "./schema.ts";
import { rejectUnchanged, requireNew, requireStatus } from "./transitions.ts";

export type CustomerStatus = "Registered" | "Active" | "Inactive" | "Deleted";

export type CustomerState = {
  customerId: string | null;
  status: CustomerStatus | null;
  /** The full name: given and family names with a space between. */
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  /** Where SMS go, when the customer gave a number. */
  phone: string | null;
  /** Where push notifications go, when the customer's app registered a device. */
  deviceToken: string | null;
  preferences: Record<string, unknown>;
  createdAt: string | null;
  updatedAt: string | null;
  activatedAt: string | null;
  deactivatedAt: string | null;
  lastLoginAt: string | null;
  lastLogoutAt: string | null;
  deletedAt: string | null;
  deleteReason: string | null;
};

type Contact = { phone?: string; deviceToken?: string };
export type CustomerCreated = { givenName: string; familyName?: string; email: string } & Contact;
export type CustomerRegistered = CustomerCreated;
/** A null family name clears it. */
export type CustomerUpdated = { givenName?: string; familyName?: string | null; email?: string } & Contact;
export type CustomerErased = { reason?: string };
export type CustomerEmailChanged = { email: string };
export type CustomerDeactivated = { reason?: string };
export type CustomerPreferencesUpdated = { preferences: Record<string, unknown> };
export type CustomerDeleted = { reason?: string };

const phone = { type: "string", pattern: "^\\+?[0-9][0-9 ()-]{3,30}$" };
const contact = { phone, deviceToken: text(500) };
const session = { sessionId: text(200), ipAddress: text(100), userAgent: text(500) };
const names = { givenName: text(100), familyName: text(100) };
const created1 = { name: text(200), email, ...contact };
const created2 = { ...names, email, ...contact };

// Personal fields per event type, by their data names in every version (v1's name too).
const person = ["name", "givenName", "familyName", "email", "phone", "deviceToken"];
const personalData: PersonalData = {
  subjectOf: (event) => event.aggregateId,
  fields: {
    CustomerCreated: person,
    CustomerRegistered: person,
    CustomerUpdated: person,
    CustomerActivationReminded: ["email"],
    CustomerEmailChanged: ["email"],
    CustomerLoggedIn: ["ipAddress", "userAgent"],
  },
  erasedBy: ["CustomerDeleted", "CustomerErased"],
  erasureEvent: "CustomerErased",
  stateFields: ["name", "givenName", "familyName", "email", "phone", "deviceToken"],
};

// E-mail addresses compare case-insensitively: "A@x.io" -> "a@x.io" is no change.
const sameEmail = (a: string | null, b: string): boolean => a !== null && a.toLowerCase() === b.toLowerCase();

const live: CustomerStatus[] = ["Registered", "Active", "Inactive"];

const withoutPersonalData = Object.fromEntries(personalData.stateFields.map((field) => [field, null]));

function created(state: CustomerState, event: EventEnvelope, status: CustomerStatus): CustomerState {
  const data = event.data as CustomerCreated;
  const at = event.timestamp;
  const contactOf = { phone: data.phone ?? null, deviceToken: data.deviceToken ?? null };
  const familyName = data.familyName ?? null;
  const when = { createdAt: at, updatedAt: at, activatedAt: status === "Active" ? at : null };
  return {
    ...state,
    customerId: event.aggregateId,
    status,
    name: fullName(data.givenName, familyName),
    givenName: data.givenName,
    familyName,
    email: data.email,
    ...contactOf,
    ...when,
  };
}

function updated(state: CustomerState, data: CustomerUpdated, at: string): CustomerState {
  const givenName = data.givenName ?? state.givenName;
  const familyName = data.familyName === undefined ? state.familyName : data.familyName;
  return {
    ...state,
    name: fullName(givenName, familyName),
    givenName,
    familyName,
    email: data.email ?? state.email,
    phone: data.phone ?? state.phone,
    deviceToken: data.deviceToken ?? state.deviceToken,
    updatedAt: at,
  };
}

export const customers: Domain<CustomerState> = {
  name: "customers",
  aggregateType: "Customer",
  events: {
    CustomerCreated: eventData("CustomerCreated", created2, ["givenName", "email"]),
    CustomerRegistered: eventData("CustomerRegistered", created2, ["givenName", "email"]),
    CustomerActivated: noData("CustomerActivated"),
    CustomerActivationReminded: eventData("CustomerActivationReminded", { email }),
    CustomerUpdated: eventData(
      "CustomerUpdated",
      { givenName: names.givenName, familyName: nullableText(100), email, ...contact },
      [],
      { minProperties: 1 },
    ),
    CustomerEmailChanged: eventData("CustomerEmailChanged", { email }, ["email"]),
    CustomerDeactivated: eventData("CustomerDeactivated", { reason: text(1000) }),
    CustomerLoggedIn: eventData("CustomerLoggedIn", session),
    CustomerLoggedOut: eventData("CustomerLoggedOut", { sessionId: text(200) }),
    CustomerPreferencesUpdated: eventData(
      "CustomerPreferencesUpdated",
      { preferences: { type: "object", maxProperties: 100 } },
      ["preferences"],
    ),
    CustomerDeleted: eventData("CustomerDeleted", { reason: text(1000) }),
    CustomerErased: eventData("CustomerErased", { reason: text(1000) }),
  },
  versions: {
    CustomerCreated: {
      earlier: [
        { schema: eventData("CustomerCreated", created1, ["name", "email"]), upcast: namesOfCreated },
      ],
    },
    CustomerRegistered: {
      earlier: [
        { schema: eventData("CustomerRegistered", created1, ["name", "email"]), upcast: namesOfCreated },
      ],
    },
    CustomerUpdated: {
      earlier: [
        {
          schema: eventData("CustomerUpdated", created1, [], { minProperties: 1 }),
          upcast: namesOfUpdated,
        },
      ],
    },
  },
  personalData,
  initial: () => ({
    customerId: null,
    status: null,
    name: null,
    givenName: null,
    familyName: null,
    email: null,
    phone: null,
    deviceToken: null,
    preferences: {},
    createdAt: null,
    updatedAt: null,
    activatedAt: null,
    deactivatedAt: null,
    lastLoginAt: null,
    lastLogoutAt: null,
    deletedAt: null,
    deleteReason: null,
  }),
  evolve(state, event) {
    const at = event.timestamp;
    switch (event.eventType) {
      case "CustomerCreated":
        return created(state, event, "Active");
      case "CustomerRegistered":
        return created(state, event, "Registered");
      case "CustomerActivated":
        return { ...state, status: "Active", activatedAt: at, updatedAt: at };
      case "CustomerActivationReminded":
        return state;
      case "CustomerUpdated":
        return updated(state, event.data, at);
      case "CustomerEmailChanged":
        return { ...state, email: (event.data as CustomerEmailChanged).email, updatedAt: at };
      case "CustomerDeactivated":
        return { ...state, status: "Inactive", deactivatedAt: at, updatedAt: at };
      case "CustomerLoggedIn":
        return { ...state, lastLoginAt: at };
      case "CustomerLoggedOut":
        return { ...state, lastLogoutAt: at };
      case "CustomerPreferencesUpdated": {
        const { preferences } = event.data as CustomerPreferencesUpdated;
        return { ...state, preferences: { ...state.preferences, ...preferences }, updatedAt: at };
      }
      case "CustomerDeleted": {
        const reason = (event.data as CustomerDeleted).reason ?? null;
        return { ...state, status: "Deleted", deletedAt: at, updatedAt: at, deleteReason: reason };
      }
      case "CustomerErased":
        return { ...state, ...withoutPersonalData, updatedAt: at };
      default:
        return state;
    }
  },
  decide(state, event: EventEnvelope) {
    switch (event.eventType) {
      case "CustomerCreated":
      case "CustomerRegistered":
        return requireNew(event, state.status);
      case "CustomerActivated":
        return requireStatus(event, state.status, ["Registered", "Inactive"]);
      case "CustomerActivationReminded":
        return requireStatus(event, state.status, ["Registered"]);
      case "CustomerUpdated":
      case "CustomerPreferencesUpdated":
        return requireStatus(event, state.status, live);
      case "CustomerEmailChanged": {
        const decision = requireStatus(event, state.status, ["Active"]);
        const next = (event.data as CustomerEmailChanged).email;
        return decision.accepted && sameEmail(state.email, next)
          ? rejectUnchanged(event, `already has ${next}`)
          : decision;
      }
      case "CustomerDeactivated":
        return requireStatus(event, state.status, ["Active"]);
      case "CustomerLoggedIn":
      case "CustomerLoggedOut":
        return requireStatus(event, state.status, ["Registered", "Active"]);
      case "CustomerDeleted":
        return requireStatus(event, state.status, live);
      case "CustomerErased":
        return requireStatus(event, state.status, [...live, "Deleted"]);
      default:
        return unknownEventType("customers", event.eventType);
    }
  },
  notificationRules: customerNotificationRules,
};
