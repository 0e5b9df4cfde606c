import {
  activity,
  carts,
  customers,
  evolveOrderReadModel,
  inventory,
  orders,
  payments,
  products,
  subjectErasedBy,
  tasks,
  withoutPersonalState,
  type CommittedEvent,
  type Domain,
  type EventEnvelope,
} from "@eventscope/contracts";

/**
 * A document read model: one row per id holding the state folded from its events. Most are the
 * aggregate's own state (the domain's `evolve`); the order read model also folds the order's
 * payment events, found through the payments read model.
 */
export interface DocumentModel {
  name: string;
  table: string;
  handles(event: EventEnvelope): boolean;
  /** The row an event belongs to; `lookup` reads another model's row in the same transaction. */
  idOf(
    event: CommittedEvent,
    lookup: (table: string, id: string) => Promise<Record<string, unknown> | undefined>,
  ): Promise<string | undefined>;
  initial(): unknown;
  evolve(doc: unknown, event: EventEnvelope): unknown;
  /** Query-string filters and the generated column each one reads. */
  filters: Record<string, string>;
}

const fromDomain = (name: string, domain: Domain, filters: Record<string, string> = {}): DocumentModel => ({
  name,
  table: name,
  handles: (event) => event.aggregateType === domain.aggregateType,
  idOf: async (event) => event.aggregateId,
  initial: () => domain.initial(),
  evolve: (doc, event) => {
    const next = domain.evolve(doc, event);
    // A read model keeps nothing personal of an erased subject (a deleted or erased customer).
    return subjectErasedBy(event) === undefined ? next : withoutPersonalState(domain, next);
  },
  filters,
});

const orderModel: DocumentModel = {
  name: "orders",
  table: "orders",
  handles: (event) => event.aggregateType === "Order" || event.aggregateType === "Payment",
  async idOf(event, lookup) {
    if (event.aggregateType === "Order") return event.aggregateId;
    if (event.eventType === "PaymentInitiated") return event.data.orderId as string;
    const payment = await lookup("payments", event.aggregateId);
    return (payment?.orderId as string | undefined) ?? undefined;
  },
  initial: () => orders.initial(),
  evolve: (doc, event) => evolveOrderReadModel(doc as Parameters<typeof evolveOrderReadModel>[0], event),
  filters: { status: "status", customerId: "customer_id" },
};

// Payments come before orders: the order model finds a payment's order in the payments model.
export const documentModels: DocumentModel[] = [
  fromDomain("payments", payments, { status: "status", orderId: "order_id" }),
  orderModel,
  fromDomain("carts", carts, { status: "status", customerId: "customer_id" }),
  fromDomain("inventory", inventory, { lowStock: "low_stock" }),
  fromDomain("products", products, { status: "status" }),
  fromDomain("tasks", tasks, { status: "status", assignee: "assignee" }),
  fromDomain("customers", customers, { status: "status", email: "email" }),
];

export const USER_ACTIVITY = "user_activity";
export const isUserActivity = (event: EventEnvelope): boolean =>
  event.aggregateType === activity.aggregateType;

export const projectionNames = (): string[] => [...documentModels.map((m) => m.name), USER_ACTIVITY];
