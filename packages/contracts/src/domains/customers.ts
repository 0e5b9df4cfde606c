// Customers (seed 004, the customer aggregate): create, change e-mail, delete; deletion is final.
import { unknownEventType, type Domain } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { email, eventData, text } from "./schema.ts";
import { rejectUnchanged, requireNew, requireStatus } from "./transitions.ts";

export type CustomerStatus = "Active" | "Deleted";

export type CustomerState = {
  customerId: string | null;
  status: CustomerStatus | null;
  name: string | null;
  email: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  deletedAt: string | null;
  deleteReason: string | null;
};

export type CustomerCreated = { name: string; email: string };
export type CustomerEmailChanged = { email: string };
export type CustomerDeleted = { reason?: string };

// E-mail addresses compare case-insensitively: "A@x.io" -> "a@x.io" is no change.
const sameEmail = (a: string | null, b: string): boolean => a !== null && a.toLowerCase() === b.toLowerCase();

export const customers: Domain<CustomerState> = {
  name: "customers",
  aggregateType: "Customer",
  events: {
    CustomerCreated: eventData("CustomerCreated", { name: text(200), email }, ["name", "email"]),
    CustomerEmailChanged: eventData("CustomerEmailChanged", { email }, ["email"]),
    CustomerDeleted: eventData("CustomerDeleted", { reason: text(1000) }),
  },
  initial: () => ({
    customerId: null,
    status: null,
    name: null,
    email: null,
    createdAt: null,
    updatedAt: null,
    deletedAt: null,
    deleteReason: null,
  }),
  evolve(state, event) {
    const at = event.timestamp;
    switch (event.eventType) {
      case "CustomerCreated": {
        const data = event.data as CustomerCreated;
        const created = {
          customerId: event.aggregateId,
          status: "Active" as const,
          createdAt: at,
          updatedAt: at,
        };
        return { ...state, ...created, name: data.name, email: data.email };
      }
      case "CustomerEmailChanged":
        return { ...state, email: (event.data as CustomerEmailChanged).email, updatedAt: at };
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
        return requireNew(event, state.status);
      case "CustomerEmailChanged": {
        const decision = requireStatus(event, state.status, ["Active"]);
        const next = (event.data as CustomerEmailChanged).email;
        return decision.accepted && sameEmail(state.email, next)
          ? rejectUnchanged(event, `already has ${next}`)
          : decision;
      }
      case "CustomerDeleted":
        return requireStatus(event, state.status, ["Active"]);
      default:
        return unknownEventType("customers", event.eventType);
    }
  },
  notificationRules: [
    {
      // The one event that carries an address: welcome mail goes straight to the customer.
      name: "customer-welcome",
      eventType: "CustomerCreated",
      channels: ["email"],
      template: (event) => {
        const data = event.data as CustomerCreated;
        return {
          subject: `Welcome, ${data.name}`,
          text: `Hello ${data.name}, your customer account ${event.aggregateId} is ready.`,
          to: data.email,
        };
      },
    },
  ],
};
