// Inventory (seed 002), one aggregate per product id / SKU. A reservation needs enough available
// stock (level - reserved); a release cannot return more than the order reserved.
import { accepted, rejected, rejectionCodes, unknownEventType, type Domain } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { eventData, identifier, quantity, stockLevel } from "./schema.ts";

export type InventoryState = {
  productId: string | null;
  /** Units on hand, as last counted (StockUpdated is an absolute level). */
  level: number;
  reserved: number;
  available: number;
  /** Units held per order id. */
  reservations: Record<string, number>;
  lowStockThreshold: number | null;
  lastAlertAt: string | null;
  updatedAt: string | null;
};

export type StockReserved = { orderId: string; quantity: number };
export type StockReleased = { orderId: string; quantity: number };
/** An absolute count; `lowStockThreshold` sets the product's own threshold for LowStockAlert. */
export type StockUpdated = { quantity: number; lowStockThreshold?: number };
export type LowStockAlert = { quantity: number; threshold: number };

// Order ids come from clients: own-property reads keep "__proto__" or "constructor" harmless.
export const reservedFor = (state: InventoryState, orderId: string): number =>
  Object.hasOwn(state.reservations, orderId) ? (state.reservations[orderId] ?? 0) : 0;

function withReservation(state: InventoryState, orderId: string, delta: number, at: string): InventoryState {
  const held = reservedFor(state, orderId) + delta;
  const reservations = { ...state.reservations, [orderId]: held };
  if (held === 0) delete reservations[orderId];
  const reserved = state.reserved + delta;
  return { ...state, reserved, available: state.level - reserved, reservations, updatedAt: at };
}

export const inventory: Domain<InventoryState> = {
  name: "inventory",
  aggregateType: "Inventory",
  events: {
    StockReserved: eventData("StockReserved", { orderId: identifier, quantity }, ["orderId", "quantity"]),
    StockReleased: eventData("StockReleased", { orderId: identifier, quantity }, ["orderId", "quantity"]),
    StockUpdated: eventData("StockUpdated", { quantity: stockLevel, lowStockThreshold: stockLevel }, [
      "quantity",
    ]),
    LowStockAlert: eventData("LowStockAlert", { quantity: stockLevel, threshold: stockLevel }, [
      "quantity",
      "threshold",
    ]),
  },
  initial: () => ({
    productId: null,
    level: 0,
    reserved: 0,
    available: 0,
    reservations: {},
    lowStockThreshold: null,
    lastAlertAt: null,
    updatedAt: null,
  }),
  evolve(state, event) {
    const at = event.timestamp;
    const current = state.productId === null ? { ...state, productId: event.aggregateId } : state;
    switch (event.eventType) {
      case "StockReserved": {
        const data = event.data as StockReserved;
        return withReservation(current, data.orderId, data.quantity, at);
      }
      case "StockReleased": {
        const data = event.data as StockReleased;
        return withReservation(current, data.orderId, -data.quantity, at);
      }
      case "StockUpdated": {
        const { quantity: level, lowStockThreshold } = event.data as StockUpdated;
        const threshold = lowStockThreshold ?? current.lowStockThreshold;
        return {
          ...current,
          level,
          available: level - current.reserved,
          lowStockThreshold: threshold,
          updatedAt: at,
        };
      }
      case "LowStockAlert": {
        const threshold = (event.data as LowStockAlert).threshold;
        return { ...current, lowStockThreshold: threshold, lastAlertAt: at, updatedAt: at };
      }
      default:
        return state;
    }
  },
  decide(state, event: EventEnvelope) {
    switch (event.eventType) {
      case "StockReserved": {
        const { orderId, quantity } = event.data as StockReserved;
        if (quantity <= state.available) return accepted;
        const reason = `Inventory ${event.aggregateId} has ${Math.max(state.available, 0)} available, order ${orderId} asks for ${quantity}`;
        return rejected(rejectionCodes.insufficientStock, reason);
      }
      case "StockReleased": {
        const { orderId, quantity } = event.data as StockReleased;
        const held = reservedFor(state, orderId);
        if (quantity <= held) return accepted;
        const reason = `Inventory ${event.aggregateId} holds ${held} for order ${orderId}, cannot release ${quantity}`;
        return rejected(rejectionCodes.releaseExceedsReserved, reason);
      }
      // A stock count and a low-stock alert are observations: always recorded.
      case "StockUpdated":
      case "LowStockAlert":
        return accepted;
      default:
        return unknownEventType("inventory", event.eventType);
    }
  },
  // Addressed to the default recipient (the shop's own staff): no customer is concerned.
  notificationRules: [
    {
      name: "low-stock",
      eventType: "LowStockAlert",
      channels: ["email"],
      template: (event) => ({
        subject: `Low stock: ${event.aggregateId}`,
        text: `Only ${String(event.data["quantity"])} unit(s) of ${event.aggregateId} are available (threshold ${String(event.data["threshold"])}).`,
      }),
    },
  ],
};
