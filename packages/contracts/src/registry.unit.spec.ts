import { describe, expect, it } from "vitest";
import { eventAliases } from "./aliases.ts";
import type { Domain } from "./domain.ts";
import { activity } from "./domains/activity.ts";
import { carts } from "./domains/carts.ts";
import { customers } from "./domains/customers.ts";
import { inventory } from "./domains/inventory.ts";
import { orders } from "./domains/orders.ts";
import { payments } from "./domains/payments.ts";
import { products } from "./domains/products.ts";
import { given, type Step } from "./domains/spec-support.ts";
import { tasks } from "./domains/tasks.ts";
import {
  domainForAggregateType,
  domainForEventType,
  domains,
  eventTypes,
  notificationRulesFor,
  rehydrate,
} from "./registry.ts";
import { envelopeSchema, eventSchemas } from "./schemas.ts";

const items = [{ productId: "p-1", quantity: 1, unitPrice: 20 }];
const orderHistory: Step[] = [
  ["OrderCreated", { customerId: "c-1", items, totalAmount: 20 }],
  ["OrderValidated"],
  ["OrderConfirmed"],
  ["OrderShipped", { trackingNumber: "TRK-7" }],
  ["OrderDelivered"],
];
const taskHistory: Step[] = [
  ["TaskCreated", { title: "a" }],
  ["TaskUpdated", { title: "b" }],
  ["TaskUpdated", { assignee: "ana" }],
  ["TaskCompleted", {}],
];

describe("registry", () => {
  it("finds the domain of every event type and aggregate type", () => {
    expect(domainForEventType("TaskCreated")?.aggregateType).toBe("Task");
    expect(domainForEventType("StockReserved")?.aggregateType).toBe("Inventory");
    expect(domainForEventType("StockReplenished")?.aggregateType).toBe("Product");
    expect(domainForEventType("Nope")).toBeUndefined();
    expect(domainForAggregateType("Cart")?.name).toBe("carts");
    expect(domainForAggregateType("Spaceship")).toBeUndefined();
    for (const eventType of eventTypes()) {
      const domain = domainForEventType(eventType)!;
      expect(domainForAggregateType(domain.aggregateType)).toBe(domain);
    }
  });

  it("covers the event names of every seed", () => {
    const expected = [
      ...["TaskCreated", "TaskUpdated", "TaskCompleted"],
      ...["CustomerCreated", "CustomerEmailChanged", "CustomerDeleted"],
      // The roadmap seed's customer lifecycle, and the onboarding reminder.
      ...["CustomerRegistered", "CustomerActivated", "CustomerUpdated", "CustomerDeactivated"],
      ...[
        "CustomerLoggedIn",
        "CustomerLoggedOut",
        "CustomerPreferencesUpdated",
        "CustomerActivationReminded",
      ],
      // Erasure of a customer's personal data, as an event of its own.
      "CustomerErased",
      ...["CartCreated", "ItemAddedToCart", "CartCheckedOut", "CartExpired"],
      ...[
        "OrderCreated",
        "OrderValidated",
        "OrderConfirmed",
        "OrderShipped",
        "OrderDelivered",
        "OrderCancelled",
        "OrderPaid",
      ],
      ...["PaymentInitiated", "PaymentAuthorized", "PaymentCompleted", "PaymentFailed"],
      ...["PaymentProcessing", "PaymentRefunded"],
      ...["StockReserved", "StockReleased", "StockUpdated", "LowStockAlert"],
      ...["ProductCreated", "ProductUpdated", "ProductDeleted", "ProductActivated", "ProductDeactivated"],
      "StockReplenished",
    ];
    expect(eventTypes().sort()).toEqual(expected.sort());
    expect(Object.keys(eventSchemas()).sort()).toEqual(expected.sort());
    // The roadmap's other names are aliases of stored ones.
    for (const [alias, stored] of Object.entries(eventAliases)) {
      expect(expected).not.toContain(alias);
      expect(expected).toContain(stored);
    }
    expect(domains.map((d) => d.aggregateType).sort()).toEqual(
      ["Cart", "Customer", "Inventory", "Order", "Payment", "Product", "Task", "User"].sort(),
    );
  });

  it("publishes plain JSON schemas", () => {
    expect(eventSchemas()["OrderShipped"]).toMatchObject({
      title: "OrderShipped",
      required: ["trackingNumber"],
    });
    expect(JSON.parse(JSON.stringify(envelopeSchema))).toEqual(envelopeSchema);
  });

  it("lists the notification rules of an event type", () => {
    expect(notificationRulesFor("OrderShipped").map((r) => r.channels)).toEqual([["email", "sms"]]);
    expect(notificationRulesFor("PaymentFailed").map((r) => r.channels)).toEqual([["email", "sms"]]);
    expect(notificationRulesFor("TaskCreated")).toEqual([]);
  });
});

describe("rehydrate", () => {
  const cases: [Domain<any>, Step[]][] = [
    [orders, orderHistory],
    [tasks, taskHistory],
    [
      customers,
      [
        ["CustomerCreated", { name: "A", email: "a@x.io" }],
        ["CustomerEmailChanged", { email: "b@x.io" }],
      ],
    ],
    [activity, [["login", { ip: "1" }], ["page_view"], ["logout"]]],
    [
      carts,
      [
        ["CartCreated", { customerId: "c" }],
        ["ItemAddedToCart", items[0]!],
        ["CartCheckedOut", { orderId: "o" }],
      ],
    ],
    [
      payments,
      [["PaymentInitiated", { orderId: "o", amount: 20 }], ["PaymentAuthorized"], ["PaymentCompleted"]],
    ],
    [
      inventory,
      [
        ["StockUpdated", { quantity: 9 }],
        ["StockReserved", { orderId: "o", quantity: 4 }],
      ],
    ],
    [
      products,
      [
        ["ProductCreated", { name: "M", sku: "S", price: 1 }],
        ["StockReplenished", { quantity: 3 }],
      ],
    ],
  ];

  it("equals evolving step by step (full replay)", () => {
    for (const [domain, history] of cases) {
      const { state, events } = given(domain, history);
      expect(rehydrate(domain, events)).toEqual(state);
      expect(rehydrate(domain, [])).toEqual(domain.initial());
    }
  });

  it("from a snapshot plus the events after it equals a full replay, at every cut", () => {
    for (const [domain, history] of cases) {
      const { events } = given(domain, history);
      const full = rehydrate(domain, events);
      for (let cut = 0; cut <= events.length; cut++) {
        // Snapshots are stored as JSON: the state must survive the round trip.
        const snapshot = JSON.parse(JSON.stringify(rehydrate(domain, events.slice(0, cut))));
        expect(rehydrate(domain, events.slice(cut), snapshot)).toEqual(full);
      }
    }
  });

  it("does not change the state it starts from", () => {
    const { events } = given(orders, orderHistory);
    const snapshot = rehydrate(orders, events.slice(0, 2));
    const copy = structuredClone(snapshot);
    rehydrate(orders, events.slice(2), snapshot);
    expect(snapshot).toEqual(copy);
  });
});
