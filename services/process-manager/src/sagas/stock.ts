// A product's stock, watched: a replenishment (the product's StockReplenished) raises the
// inventory level, and available stock falling below the product's threshold (its own, else
// the configured default) raises LowStockAlert once, until stock is back at the threshold.
import { inventory, type InventoryState, type StockReplenished } from "@eventscope/contracts";
import type { Saga } from "./saga.ts";

export interface StockProcessState {
  inventory: InventoryState;
  /** Levels sent (StockUpdated event id -> units added) and not yet seen stored. */
  pending: Record<string, number>;
  alerted: boolean;
}

export const stockProcessId = (productId: string): string => `stock:${productId}`;

const pendingUnits = (s: StockProcessState): number => Object.values(s.pending).reduce((a, b) => a + b, 0);

export const stockWatch: Saga<StockProcessState> = {
  type: "stock",
  trace: "cause",
  route: (event) =>
    event.aggregateType === "Inventory" ||
    (event.aggregateType === "Product" && event.eventType === "StockReplenished")
      ? [{ processId: stockProcessId(event.aggregateId), start: true }]
      : [],
  initial: () => ({ inventory: inventory.initial(), pending: {}, alerted: false }),
  decide(now, input, context) {
    if (input.kind !== "event") return undefined;
    const { event } = input;
    const s = now.state;
    const base = { status: "active" as const, stage: "watching" };
    if (event.aggregateType === "Product") {
      const added = (event.data as StockReplenished).quantity;
      const step = `replenish:${event.version}`;
      const level = s.inventory.level + pendingUnits(s) + added;
      return {
        ...base,
        state: { ...s, pending: { ...s.pending, [context.eventIdOf(step)]: added } },
        commands: [
          {
            step,
            eventType: "StockUpdated",
            aggregateType: "Inventory",
            aggregateId: event.aggregateId,
            data: { quantity: level },
          },
        ],
      };
    }
    const pending = { ...s.pending };
    delete pending[event.eventId];
    const stock = inventory.evolve(s.inventory, event);
    const state = { inventory: stock, pending, alerted: s.alerted };
    if (event.eventType === "LowStockAlert") return { ...base, state };
    const threshold = stock.lowStockThreshold ?? context.settings.lowStockThreshold;
    if (stock.available >= threshold) return { ...base, state: { ...state, alerted: false } };
    if (s.alerted) return { ...base, state };
    return {
      ...base,
      state: { ...state, alerted: true },
      commands: [
        {
          step: `low-stock:${event.version}`,
          eventType: "LowStockAlert",
          aggregateType: "Inventory",
          aggregateId: event.aggregateId,
          data: { quantity: Math.max(stock.available, 0), threshold },
        },
      ],
    };
  },
};
