// Products (the roadmap seed 001): created active, updated, deactivated and reactivated,
// replenished; deletion is final.
import { unknownEventType, type Domain } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { currency, eventData, money, noData, quantity, text } from "./schema.ts";
import { requireNew, requireStatus } from "./transitions.ts";

export type ProductStatus = "Active" | "Inactive" | "Deleted";

export type ProductState = {
  productId: string | null;
  status: ProductStatus | null;
  name: string | null;
  sku: string | null;
  price: number;
  currency: string | null;
  description: string | null;
  /** Units received through StockReplenished (stock levels per SKU live in Inventory). */
  replenished: number;
  createdAt: string | null;
  updatedAt: string | null;
};

export type ProductCreated = {
  name: string;
  sku: string;
  price: number;
  description?: string;
  currency?: string;
};
export type ProductUpdated = { name?: string; price?: number; description?: string };
export type StockReplenished = { quantity: number };

const live: ProductStatus[] = ["Active", "Inactive"];

export const products: Domain<ProductState> = {
  name: "products",
  aggregateType: "Product",
  events: {
    ProductCreated: eventData(
      "ProductCreated",
      { name: text(200), sku: text(100), price: money, description: text(4000), currency },
      ["name", "sku", "price"],
    ),
    ProductUpdated: eventData(
      "ProductUpdated",
      { name: text(200), price: money, description: text(4000) },
      [],
      { minProperties: 1 },
    ),
    ProductDeleted: noData("ProductDeleted"),
    ProductActivated: noData("ProductActivated"),
    ProductDeactivated: noData("ProductDeactivated"),
    StockReplenished: eventData("StockReplenished", { quantity }, ["quantity"]),
  },
  initial: () => ({
    productId: null,
    status: null,
    name: null,
    sku: null,
    price: 0,
    currency: null,
    description: null,
    replenished: 0,
    createdAt: null,
    updatedAt: null,
  }),
  evolve(state, event) {
    const at = event.timestamp;
    switch (event.eventType) {
      case "ProductCreated": {
        const { name, sku, price, description, currency } = event.data as ProductCreated;
        const optional = { description: description ?? null, currency: currency ?? null };
        return {
          ...state,
          productId: event.aggregateId,
          status: "Active",
          name,
          sku,
          price,
          ...optional,
          createdAt: at,
          updatedAt: at,
        };
      }
      case "ProductUpdated": {
        const { name, price, description } = event.data as ProductUpdated;
        const changes = { name: name ?? state.name, price: price ?? state.price };
        return { ...state, ...changes, description: description ?? state.description, updatedAt: at };
      }
      case "ProductDeleted":
        return { ...state, status: "Deleted", updatedAt: at };
      case "ProductActivated":
        return { ...state, status: "Active", updatedAt: at };
      case "ProductDeactivated":
        return { ...state, status: "Inactive", updatedAt: at };
      case "StockReplenished": {
        const replenished = state.replenished + (event.data as StockReplenished).quantity;
        return { ...state, replenished, updatedAt: at };
      }
      default:
        return state;
    }
  },
  decide(state, event: EventEnvelope) {
    switch (event.eventType) {
      case "ProductCreated":
        return requireNew(event, state.status);
      case "ProductUpdated":
      case "ProductDeleted":
      case "StockReplenished":
        return requireStatus(event, state.status, live);
      case "ProductActivated":
        return requireStatus(event, state.status, ["Inactive"]);
      case "ProductDeactivated":
        return requireStatus(event, state.status, ["Active"]);
      default:
        return unknownEventType("products", event.eventType);
    }
  },
  notificationRules: [],
};
