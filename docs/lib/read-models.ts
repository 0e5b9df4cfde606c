// The aggregates' states as read models and replay show them: the domain state types of
// packages/contracts/src/domains, one schema each (the contract test checks that each lists
// exactly the keys of its domain's `initial()` state).
import { activity } from "@eventscope/contracts";
import { arrayOf, dateTime, enumOf, int, num, orNull, record, ref, str, type Json } from "./schema.ts";

const orderStatuses = ["Created", "Validated", "Confirmed", "Shipped", "Delivered", "Cancelled"];
const paymentStatuses = ["Initiated", "Processing", "Authorized", "Completed", "Failed", "Refunded"];
const ts = (what: string) => orNull(dateTime(`When the ${what} event happened (its timestamp)`));
const idOrNull = (description: string) => orNull(str(description));

/**
 * The read models, from the domain state types in packages/contracts/src/domains (the test checks
 * that each lists exactly the keys of its domain's `initial()` state).
 */
export const readModelSchemas: Record<string, { schema: string; aggregateType: string; shape: Json }> = {
  orders: {
    schema: "OrderReadModel",
    aggregateType: "Order",
    shape: record(
      {
        orderId: idOrNull("The order id (the aggregate id)"),
        customerId: idOrNull("Customer who placed the order"),
        cartId: idOrNull("Cart checked out into this order, if any"),
        status: orNull(enumOf(orderStatuses)),
        totalAmount: num("Order total"),
        currency: orNull(str("ISO 4217 code")),
        items: arrayOf(ref("LineItem")),
        paymentId: idOrNull("The order's current payment (from its Payment events)"),
        paymentStatus: orNull(enumOf(paymentStatuses, "Status of the current payment")),
        trackingNumber: idOrNull("Set when shipped"),
        carrier: idOrNull("Set when shipped"),
        cancelReason: idOrNull("Set when cancelled"),
        createdAt: ts("OrderCreated"),
        validatedAt: ts("OrderValidated"),
        confirmedAt: ts("OrderConfirmed"),
        shippedAt: ts("OrderShipped"),
        deliveredAt: ts("OrderDelivered"),
        cancelledAt: ts("OrderCancelled"),
        paidAt: ts("OrderPaid"),
      },
      "The e-commerce seed's OrderReadModel: the order's state (OrderState) plus the status of its payment.",
    ),
  },
  payments: {
    schema: "PaymentReadModel",
    aggregateType: "Payment",
    shape: record(
      {
        paymentId: idOrNull("The payment id (the aggregate id)"),
        status: orNull(enumOf(paymentStatuses)),
        orderId: idOrNull("Order paid for"),
        amount: num(),
        currency: orNull(str("ISO 4217 code")),
        method: idOrNull("Payment method"),
        authorizationCode: idOrNull("Set when authorized"),
        failureReason: idOrNull("Set when failed"),
        initiatedAt: ts("PaymentInitiated"),
        authorizedAt: ts("PaymentAuthorized"),
        completedAt: ts("PaymentCompleted"),
        failedAt: ts("PaymentFailed"),
        refundedAt: ts("PaymentRefunded"),
        refundReason: idOrNull("Set when refunded"),
      },
      "A payment (PaymentState).",
    ),
  },
  carts: {
    schema: "CartReadModel",
    aggregateType: "Cart",
    shape: record(
      {
        cartId: idOrNull("The cart id (the aggregate id)"),
        status: orNull(enumOf(["Open", "CheckedOut", "Expired"])),
        customerId: idOrNull("Owner of the cart"),
        items: arrayOf(ref("LineItem")),
        total: num("Sum of the items"),
        orderId: idOrNull("Order created at checkout"),
        createdAt: ts("CartCreated"),
        updatedAt: orNull(dateTime("Timestamp of the last event")),
      },
      "A shopping cart (CartState).",
    ),
  },
  inventory: {
    schema: "InventoryReadModel",
    aggregateType: "Inventory",
    shape: record(
      {
        productId: idOrNull("Product id / SKU (the aggregate id)"),
        level: int("Units on hand, as last counted (StockUpdated)"),
        reserved: int("Units held by orders"),
        available: int("level - reserved"),
        reservations: {
          type: "object",
          description: "Units held per order id",
          additionalProperties: { type: "integer" },
        },
        lowStockThreshold: orNull(
          int("The product's low-stock threshold (set by StockUpdated, or named by the last LowStockAlert)"),
        ),
        lastAlertAt: ts("last LowStockAlert"),
        updatedAt: orNull(dateTime("Timestamp of the last event")),
      },
      "Stock of one product (InventoryState).",
    ),
  },
  products: {
    schema: "ProductReadModel",
    aggregateType: "Product",
    shape: record(
      {
        productId: idOrNull("The product id (the aggregate id)"),
        status: orNull(enumOf(["Active", "Inactive", "Deleted"])),
        name: idOrNull("Product name"),
        sku: idOrNull("Stock keeping unit"),
        price: num(),
        currency: orNull(str("ISO 4217 code")),
        description: idOrNull("Product description"),
        replenished: int("Units received through StockReplenished"),
        createdAt: ts("ProductCreated"),
        updatedAt: orNull(dateTime("Timestamp of the last event")),
      },
      "A catalogue product (ProductState).",
    ),
  },
  tasks: {
    schema: "TaskReadModel",
    aggregateType: "Task",
    shape: record(
      {
        taskId: idOrNull("The task id (the aggregate id)"),
        status: orNull(enumOf(["Open", "Completed"])),
        title: idOrNull("Title"),
        description: idOrNull("Description"),
        assignee: idOrNull("Assignee"),
        dueDate: orNull(
          str("A date or a date-time (local date-times are kept as sent)", { format: "date-or-date-time" }),
        ),
        completedBy: idOrNull("Who completed it"),
        createdAt: ts("TaskCreated"),
        updatedAt: orNull(dateTime("Timestamp of the last event")),
        completedAt: ts("TaskCompleted"),
      },
      "A task (TaskState).",
    ),
  },
  customers: {
    schema: "CustomerReadModel",
    aggregateType: "Customer",
    shape: record(
      {
        customerId: idOrNull("The customer id (the aggregate id)"),
        status: orNull(enumOf(["Registered", "Active", "Inactive", "Deleted"])),
        name: idOrNull("Full name: given and family names (null once the customer is deleted or erased)"),
        givenName: idOrNull("Given name (schema v2; a v1 name's part before its first space)"),
        familyName: idOrNull("Family name (schema v2; a v1 name's part after its first space)"),
        email: orNull(
          str("E-mail address (null once the customer is deleted or erased)", { format: "email" }),
        ),
        phone: idOrNull("Where SMS go, when the customer gave a number"),
        deviceToken: idOrNull("Where push notifications go, when the customer's app registered a device"),
        preferences: {
          type: "object",
          description: "The customer's preferences (CustomerPreferencesUpdated)",
        },
        createdAt: ts("CustomerCreated or CustomerRegistered"),
        updatedAt: orNull(dateTime("Timestamp of the last event")),
        activatedAt: ts("CustomerActivated (or CustomerCreated, which is active at once)"),
        deactivatedAt: ts("last CustomerDeactivated"),
        lastLoginAt: ts("last CustomerLoggedIn"),
        lastLogoutAt: ts("last CustomerLoggedOut"),
        deletedAt: ts("CustomerDeleted"),
        deleteReason: idOrNull("Set when deleted"),
      },
      "A customer (CustomerState).",
    ),
  },
};

/** The User aggregate's state (user activity), as replay returns it. */
export const userActivityState = record(
  {
    userId: idOrNull("The user id (the aggregate id)"),
    count: int("Activity events recorded"),
    lastEventType: idOrNull("Type of the latest event"),
    firstEventAt: orNull(dateTime()),
    lastEventAt: orNull(dateTime()),
  },
  "A user's activity summary (UserActivityState).",
);

/** Aggregate type -> the schema of its state. */
export function stateSchemaOf(aggregateType: string): string {
  if (aggregateType === activity.aggregateType) return "UserActivityState";
  const found = Object.values(readModelSchemas).find((m) => m.aggregateType === aggregateType);
  if (!found) throw new Error(`no state schema for aggregate type ${aggregateType}`);
  return found.schema;
}
