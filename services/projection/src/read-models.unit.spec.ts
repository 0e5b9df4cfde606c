import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { upcast, type CommittedEvent } from "@eventscope/contracts";
import { documentModels, isUserActivity, projectionNames, type DocumentModel } from "./read-models.ts";
import { committed } from "./spec-support.ts";

const model = (name: string): DocumentModel => documentModels.find((m) => m.name === name)!;

/** The document a model folds from events as the projection meets them (upcast first). */
const fold = (m: DocumentModel, events: CommittedEvent[]) =>
  events.map(upcast).reduce((doc, e) => m.evolve(doc, e), m.initial()) as Record<string, unknown>;

const noLookup = async () => undefined;

describe("the document read models", () => {
  it("are applied payments before orders, and name one projection each plus user activity", () => {
    const names = documentModels.map((m) => m.name);
    expect(names.indexOf("payments")).toBeLessThan(names.indexOf("orders"));
    expect(projectionNames()).toEqual([...names, "user_activity"]);
    expect(new Set(projectionNames()).size).toBe(projectionNames().length);
  });

  it("each handle their own aggregate's events only; the order model takes payments too", () => {
    const payment = committed("Payment", "PaymentInitiated");
    const order = committed("Order", "OrderCreated");
    const customer = committed("Customer", "CustomerCreated");
    expect(documentModels.filter((m) => m.handles(payment)).map((m) => m.name)).toEqual([
      "payments",
      "orders",
    ]);
    expect(documentModels.filter((m) => m.handles(order)).map((m) => m.name)).toEqual(["orders"]);
    expect(documentModels.filter((m) => m.handles(customer)).map((m) => m.name)).toEqual(["customers"]);
    expect(documentModels.some((m) => m.handles(committed("User", "PageViewed")))).toBe(false);
    expect(isUserActivity(committed("User", "PageViewed"))).toBe(true);
    expect(isUserActivity(customer)).toBe(false);
  });

  it("filter on generated columns that their table's migration declares", () => {
    const dir = join(import.meta.dirname, "migrations");
    const ddl = readdirSync(dir)
      .filter((f) => f.endsWith(".sql"))
      .map((f) => readFileSync(join(dir, f), "utf8"))
      .join("\n");
    for (const m of documentModels) {
      const table = new RegExp(`CREATE TABLE ${m.table} \\(([\\s\\S]*?)\\n\\);`).exec(ddl)?.[1];
      expect(table, m.table).toBeDefined();
      for (const column of Object.values(m.filters))
        expect(table, `${m.table}.${column}`).toMatch(
          new RegExp(`^\\s*${column}\\s+\\w+\\s+GENERATED ALWAYS AS`, "m"),
        );
    }
    expect(model("orders").filters).toEqual({ status: "status", customerId: "customer_id" });
  });
});

describe("the customers read model", () => {
  const created2 = committed("Customer", "CustomerCreated", {
    aggregateId: "c-1",
    schemaVersion: 2,
    data: { givenName: "Ada", familyName: "Lovelace", email: "ada@example.org", phone: "+44 20 7946 0000" },
  });

  it("folds a v2 creation and later changes into the customer's document", () => {
    const doc = fold(model("customers"), [
      created2,
      committed("Customer", "CustomerEmailChanged", {
        aggregateId: "c-1",
        version: 2,
        data: { email: "ada@lovelace.example" },
      }),
      committed("Customer", "CustomerPreferencesUpdated", {
        aggregateId: "c-1",
        version: 3,
        data: { preferences: { newsletter: true } },
      }),
    ]);
    expect(doc).toMatchObject({
      customerId: "c-1",
      status: "Active",
      name: "Ada Lovelace",
      givenName: "Ada",
      familyName: "Lovelace",
      email: "ada@lovelace.example",
      phone: "+44 20 7946 0000",
      preferences: { newsletter: true },
    });
  });

  it("folds v1 events (one name) upcast into given and family names, as v2 would", () => {
    const doc = fold(model("customers"), [
      committed("Customer", "CustomerRegistered", {
        aggregateId: "c-2",
        data: { name: "Grace Brewster Hopper", email: "grace@example.org" },
      }),
      committed("Customer", "CustomerActivated", { aggregateId: "c-2", version: 2 }),
    ]);
    expect(doc).toMatchObject({
      status: "Active",
      name: "Grace Brewster Hopper",
      givenName: "Grace",
      familyName: "Brewster Hopper",
      email: "grace@example.org",
    });
    // A v1 update's one-word name replaces both parts.
    const renamed = fold(model("customers"), [
      committed("Customer", "CustomerCreated", {
        aggregateId: "c-2",
        data: { name: "Grace Hopper", email: "g@x.io" },
      }),
      committed("Customer", "CustomerUpdated", { aggregateId: "c-2", version: 2, data: { name: "Amazing" } }),
    ]);
    expect(renamed).toMatchObject({
      name: "Amazing",
      givenName: "Amazing",
      familyName: null,
      email: "g@x.io",
    });
  });

  it.each(["CustomerDeleted", "CustomerErased"])(
    "keeps nothing personal after %s, the rest kept",
    (erasing) => {
      const doc = fold(model("customers"), [
        created2,
        committed("Customer", "CustomerPreferencesUpdated", {
          aggregateId: "c-1",
          version: 2,
          data: { preferences: { newsletter: false } },
        }),
        committed("Customer", erasing, { aggregateId: "c-1", version: 3, data: { reason: "asked to" } }),
      ]);
      for (const field of ["name", "givenName", "familyName", "email", "phone", "deviceToken"])
        expect(doc[field], field).toBeNull();
      expect(doc).toMatchObject({ customerId: "c-1", preferences: { newsletter: false } });
      expect(doc.status).toBe(erasing === "CustomerDeleted" ? "Deleted" : "Active");
      expect(JSON.stringify(doc)).not.toContain("ada@example.org");
    },
  );

  it("nulls what an erasure met, not only what the erasing event's fold clears", () => {
    // CustomerDeleted's own fold keeps the e-mail; the read model drops it.
    const deleted = model("customers").evolve(
      model("customers").evolve(model("customers").initial(), upcast(created2)),
      committed("Customer", "CustomerDeleted", { aggregateId: "c-1", version: 2 }),
    ) as Record<string, unknown>;
    expect(deleted).toMatchObject({ status: "Deleted", email: null, name: null, deleteReason: null });
  });
});

describe("the orders read model", () => {
  const orders = model("orders");
  const created = committed("Order", "OrderCreated", {
    aggregateId: "o-1",
    data: { customerId: "c-1", items: [{ productId: "p-1", quantity: 2, price: 5 }], totalAmount: 10 },
  });

  it("finds an event's order: its own id, a payment's orderId, or the payment's row", async () => {
    expect(await orders.idOf(created, noLookup)).toBe("o-1");
    const initiated = committed("Payment", "PaymentInitiated", {
      aggregateId: "pay-1",
      data: { orderId: "o-1", amount: 10 },
    });
    expect(await orders.idOf(initiated, noLookup)).toBe("o-1");
    const completed = committed("Payment", "PaymentCompleted", { aggregateId: "pay-1", version: 2 });
    const seen: [string, string][] = [];
    const lookup = async (table: string, id: string) => {
      seen.push([table, id]);
      return id === "pay-1" ? { orderId: "o-1" } : undefined;
    };
    expect(await orders.idOf(completed, lookup)).toBe("o-1");
    expect(seen).toEqual([["payments", "pay-1"]]);
    // A payment the payments model does not know belongs to no order.
    expect(
      await orders.idOf(committed("Payment", "PaymentCompleted", { aggregateId: "pay-9" }), lookup),
    ).toBe(undefined);
  });

  it("folds the order's events and its current payment's status; an earlier payment's no longer count", () => {
    const pay = (aggregateId: string, eventType: string, data: Record<string, unknown> = {}) =>
      committed("Payment", eventType, { aggregateId, data });
    const doc = fold(orders, [
      created,
      committed("Order", "OrderValidated", { aggregateId: "o-1", version: 2 }),
      pay("pay-1", "PaymentInitiated", { orderId: "o-1", amount: 10 }),
      pay("pay-1", "PaymentFailed", { reason: "declined" }),
      pay("pay-2", "PaymentInitiated", { orderId: "o-1", amount: 10 }),
      pay("pay-1", "PaymentRefunded"),
      pay("pay-2", "PaymentAuthorized"),
    ]);
    expect(doc).toMatchObject({
      orderId: "o-1",
      status: "Validated",
      customerId: "c-1",
      totalAmount: 10,
      paymentId: "pay-2",
      paymentStatus: "Authorized",
    });
  });
});

describe("the other read models", () => {
  it("take a document's id from the event's aggregate", async () => {
    for (const m of documentModels.filter((d) => d.name !== "orders")) {
      const event = committed("X", "Anything", { aggregateId: `${m.name}-7` });
      expect(await m.idOf(event, noLookup)).toBe(`${m.name}-7`);
    }
  });

  it("leave a document as it was for an event type their domain does not fold", () => {
    const tasks = model("tasks");
    const doc = fold(tasks, [
      committed("Task", "TaskCreated", { aggregateId: "t-1", data: { title: "one" } }),
    ]);
    expect(
      tasks.evolve(doc, committed("Task", "TaskNoSuchThing", { aggregateId: "t-1", version: 2 })),
    ).toEqual(doc);
    expect(doc).toMatchObject({ status: expect.any(String), title: "one" });
  });
});
