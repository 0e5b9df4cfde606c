// Carts (seed 002): created, items added, checked out (with at least one item) or expired.
import { rejected, rejectionCodes, unknownEventType, type Domain } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { eventData, identifier, money, noData, quantity, text } from "./schema.ts";
import { requireNew, requireStatus } from "./transitions.ts";

export type CartStatus = "Open" | "CheckedOut" | "Expired";

export type LineItem = { productId: string; quantity: number; unitPrice: number; name?: string };

export type CartState = {
  cartId: string | null;
  status: CartStatus | null;
  customerId: string | null;
  items: LineItem[];
  total: number;
  orderId: string | null;
  createdAt: string | null;
  updatedAt: string | null;
};

export type CartCreated = { customerId: string };
export type ItemAddedToCart = LineItem;
export type CartCheckedOut = { orderId: string };

export const lineItemSchema = eventData(
  "LineItem",
  { productId: identifier, quantity, unitPrice: money, name: text(200) },
  ["productId", "quantity", "unitPrice"],
);

// Cents avoid 0.1 + 0.2 drift in totals that are compared with a tolerance later on.
export const sumOfItems = (items: readonly LineItem[]): number =>
  Math.round(items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0) * 100) / 100;

export const carts: Domain<CartState> = {
  name: "carts",
  aggregateType: "Cart",
  events: {
    CartCreated: eventData("CartCreated", { customerId: identifier }, ["customerId"]),
    ItemAddedToCart: { ...lineItemSchema, title: "ItemAddedToCart" },
    CartCheckedOut: eventData("CartCheckedOut", { orderId: identifier }, ["orderId"]),
    CartExpired: noData("CartExpired"),
  },
  initial: () => ({
    cartId: null,
    status: null,
    customerId: null,
    items: [],
    total: 0,
    orderId: null,
    createdAt: null,
    updatedAt: null,
  }),
  evolve(state, event) {
    const at = event.timestamp;
    switch (event.eventType) {
      case "CartCreated": {
        const { customerId } = event.data as CartCreated;
        return {
          ...state,
          cartId: event.aggregateId,
          status: "Open",
          customerId,
          createdAt: at,
          updatedAt: at,
        };
      }
      case "ItemAddedToCart": {
        const items = addItem(state.items, event.data as ItemAddedToCart);
        return { ...state, items, total: sumOfItems(items), updatedAt: at };
      }
      case "CartCheckedOut":
        return {
          ...state,
          status: "CheckedOut",
          orderId: (event.data as CartCheckedOut).orderId,
          updatedAt: at,
        };
      case "CartExpired":
        return { ...state, status: "Expired", updatedAt: at };
      default:
        return state;
    }
  },
  decide(state, event: EventEnvelope) {
    switch (event.eventType) {
      case "CartCreated":
        return requireNew(event, state.status);
      case "ItemAddedToCart":
      case "CartExpired":
        return requireStatus(event, state.status, ["Open"]);
      case "CartCheckedOut": {
        const decision = requireStatus(event, state.status, ["Open"]);
        if (!decision.accepted || state.items.length > 0) return decision;
        return rejected(rejectionCodes.emptyCart, `Cart ${event.aggregateId} has no items to check out`);
      }
      default:
        return unknownEventType("carts", event.eventType);
    }
  },
  notificationRules: [],
};

// Adding a product already in the cart raises its quantity; the latest unit price wins.
function addItem(items: readonly LineItem[], added: LineItem): LineItem[] {
  const index = items.findIndex((item) => item.productId === added.productId);
  if (index < 0) return [...items, { ...added }];
  return items.map((item, i) =>
    i === index ? { ...item, ...added, quantity: item.quantity + added.quantity } : item,
  );
}
