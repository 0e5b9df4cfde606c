// Customers: the customer aggregate example (seed 004: create, change e-mail, delete) and the
// roadmap's lifecycle (registered -> activated when the customer confirms -> deactivated and
// back; logins, logouts, preferences). A registered customer is Registered until activated;
// one created directly is Active at once. Deletion is final.
import { unknownEventType, type Domain } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { customerNotificationRules } from "./customer-notifications.ts";
import { email, eventData, noData, text } from "./schema.ts";
import { rejectUnchanged, requireNew, requireStatus } from "./transitions.ts";

export type CustomerStatus = "Registered" | "Active" | "Inactive" | "Deleted";

export type CustomerState = {
  customerId: string | null;
  status: CustomerStatus | null;
  name: string | null;
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
export type CustomerCreated = { name: string; email: string } & Contact;
export type CustomerRegistered = CustomerCreated;
export type CustomerUpdated = { name?: string; email?: string } & Contact;
export type CustomerEmailChanged = { email: string };
export type CustomerDeactivated = { reason?: string };
export type CustomerPreferencesUpdated = { preferences: Record<string, unknown> };
export type CustomerDeleted = { reason?: string };

const phone = { type: "string", pattern: "^\\+?[0-9][0-9 ()-]{3,30}$" };
const contact = { phone, deviceToken: text(500) };
const session = { sessionId: text(200), ipAddress: text(100), userAgent: text(500) };

// E-mail addresses compare case-insensitively: "A@x.io" -> "a@x.io" is no change.
const sameEmail = (a: string | null, b: string): boolean => a !== null && a.toLowerCase() === b.toLowerCase();

const live: CustomerStatus[] = ["Registered", "Active", "Inactive"];

function created(state: CustomerState, event: EventEnvelope, status: CustomerStatus): CustomerState {
  const data = event.data as CustomerCreated;
  const at = event.timestamp;
  const contactOf = { phone: data.phone ?? null, deviceToken: data.deviceToken ?? null };
  const when = { createdAt: at, updatedAt: at, activatedAt: status === "Active" ? at : null };
  return {
    ...state,
    customerId: event.aggregateId,
    status,
    name: data.name,
    email: data.email,
    ...contactOf,
    ...when,
  };
}

function updated(state: CustomerState, data: CustomerUpdated, at: string): CustomerState {
  return {
    ...state,
    name: data.name ?? state.name,
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
    CustomerCreated: eventData("CustomerCreated", { name: text(200), email, ...contact }, ["name", "email"]),
    CustomerRegistered: eventData("CustomerRegistered", { name: text(200), email, ...contact }, [
      "name",
      "email",
    ]),
    CustomerActivated: noData("CustomerActivated"),
    CustomerActivationReminded: eventData("CustomerActivationReminded", { email }),
    CustomerUpdated: eventData("CustomerUpdated", { name: text(200), email, ...contact }, [], {
      minProperties: 1,
    }),
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
  },
  initial: () => ({
    customerId: null,
    status: null,
    name: null,
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
      default:
        return unknownEventType("customers", event.eventType);
    }
  },
  notificationRules: customerNotificationRules,
};
