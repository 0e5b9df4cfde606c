import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { freePort } from "@eventscope/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@eventscope/testkit";
import {
  committedEvent,
  mailsWith,
  notificationUnderTest,
  produceCommitted,
  sleep,
  startReceiver,
  type Receiver,
} from "./support.ts";

// Personal data erasure reaches the deliveries: after a CustomerErased (or CustomerDeleted) no
// byte of the customer's e-mail, phone or name is left in any text or json column of the
// service's schema; what was not delivered is cancelled, not sent; other customers keep theirs.
let hooks: Receiver;
// The read side the service looks customers up in at send time: orders and customers by id.
let readSide: Server;
const orders = new Map<string, string>();
const customers = new Map<string, Record<string, unknown>>();
let n: Awaited<ReturnType<typeof notificationUnderTest>>;
const hex = () => randomBytes(4).toString("hex");

const person = (label: string) => {
  const token = hex();
  return {
    id: `cust-${label}-${token}`,
    email: `${label}-${token}@erasure.test`,
    phone: `+49 170 ${parseInt(token, 16) % 10_000_000}`,
    givenName: `Given${label}${token}`,
    familyName: `Family${label}${token}`,
  };
};
const erased = person("a");
let erasureId = "";
const kept = person("b");

/** The events of one customer's stream, at consecutive versions. */
function stream(
  customer: ReturnType<typeof person>,
  events: [type: string, data: Record<string, unknown>][],
) {
  return events.map(([type, data], i) => ({
    ...committedEvent(type, "Customer", customer.id, data),
    version: i + 1,
  }));
}

/** Every (table, column) of the schema's text, json and jsonb columns whose value contains `needle`. */
async function occurrences(needle: string): Promise<string[]> {
  const { rows } = await n.pool.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = $1 AND data_type IN ('text', 'jsonb', 'json', 'character varying', 'ARRAY')`,
    [n.name],
  );
  const found: string[] = [];
  for (const { table_name, column_name } of rows) {
    const hit = await n.pool.query(
      `SELECT 1 FROM "${n.name}"."${table_name}" WHERE "${column_name}"::text LIKE $1 LIMIT 1`,
      [`%${needle}%`],
    );
    if (hit.rowCount) found.push(`${table_name}.${column_name}`);
  }
  return found.sort();
}

const rowsOf = async (customerId: string) =>
  (
    await n.pool.query<{
      event_type: string;
      channel: string;
      status: string;
      target: string;
      subject: string | null;
      body: string | null;
      last_error: string | null;
      event: { data: Record<string, unknown> };
    }>(
      `SELECT event_type, channel, status, target, subject, body, last_error, event FROM "${n.name}".deliveries
       WHERE event ->> 'aggregateId' = $1 OR event -> 'data' ->> 'customerId' = $1 ORDER BY event_type, channel`,
      [customerId],
    )
  ).rows;

beforeAll(async () => {
  // The subscriber fails every event of the customer to be erased, so those wait for a retry.
  hooks = await startReceiver((r) => (r.body.includes(erased.id) && !r.body.includes("Erased") ? 503 : 200));
  readSide = createServer((req, res) => {
    const [, kind, rawId] = /^\/(api\/orders|customer)\/([^/?]+)$/.exec(req.url ?? "") ?? [];
    const id = decodeURIComponent(rawId ?? "");
    const body =
      kind === "api/orders"
        ? orders.has(id) && { orderId: id, customerId: orders.get(id) }
        : customers.get(id);
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify(body || {}));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => readSide.listen(port, "127.0.0.1", resolve));
  n = await notificationUnderTest("notify_erasure", {
    RETRY_BASE_MS: "60000",
    RETRY_MAX_MS: "60000",
    PROJECTION_URL: `http://127.0.0.1:${port}`,
    SMS_PROVIDER_URL: `${hooks.url}/sms`,
    PUSH_PROVIDER_URL: `${hooks.url}/push`,
  });
  await n.subscribe(`${hooks.url}/hook`, ["CustomerRegistered", "CustomerUpdated", "CustomerErased"]);
});

afterAll(async () => {
  await n?.stop();
  await hooks?.close();
  await new Promise((resolve) => (readSide ? readSide.close(resolve) : resolve(undefined)));
});

describe("notification: a customer's erasure", () => {
  it("redacts the customer's deliveries, cancels the unsent ones and leaves other customers' alone", async () => {
    const registered = (c: ReturnType<typeof person>) =>
      ["CustomerRegistered", { givenName: c.givenName, familyName: c.familyName, email: c.email }] as [
        string,
        Record<string, unknown>,
      ];
    const a = stream(erased, [registered(erased), ["CustomerUpdated", { phone: erased.phone }]]);
    const b = stream(kept, [registered(kept), ["CustomerUpdated", { phone: kept.phone }]]);
    await produceCommitted(n.topics.committed, [...a, ...b]);

    // A: the welcome mail delivered, both webhooks failed once and waiting; B: all delivered.
    await n.delivered(b[0]!.eventId, 2);
    await n.delivered(b[1]!.eventId, 1);
    await waitFor(
      async () => {
        const rows = await rowsOf(erased.id);
        const hooksWaiting = rows.filter((r) => r.channel === "webhook" && r.status === "retrying");
        const mail = rows.find((r) => r.channel === "email" && r.status === "delivered");
        return hooksWaiting.length === 2 && mail;
      },
      30_000,
      "the customer's mail delivered and webhooks retrying",
    );
    expect(await occurrences(erased.email)).toContain("deliveries.target");

    const erasure = { ...committedEvent("CustomerErased", "Customer", erased.id, {}), version: 3 };
    erasureId = erasure.eventId;
    await produceCommitted(n.topics.committed, [erasure]);
    await waitFor(n.consumedAll, 30_000, "the erasure consumed");
    // The erasure itself reaches the subscriber.
    await n.delivered(erasure.eventId, 1);

    const rows = (await rowsOf(erased.id)).filter((r) => r.event_type !== "CustomerErased");
    expect(rows.map((r) => [r.event_type, r.channel, r.status])).toEqual([
      ["CustomerRegistered", "email", "delivered"],
      ["CustomerRegistered", "webhook", "cancelled"],
      ["CustomerUpdated", "webhook", "cancelled"],
    ]);
    const mail = rows.find((r) => r.channel === "email")!;
    expect(mail).toMatchObject({ target: "[erased]", subject: null, body: null });
    for (const r of rows.filter((r) => r.status === "cancelled"))
      expect(r.last_error).toBe(
        `cancelled: the customer's personal data was erased (CustomerErased ${erasure.eventId})`,
      );
    expect(rows[0]!.event.data).toMatchObject({
      email: "[erased]",
      givenName: "[erased]",
      familyName: "[erased]",
    });
    for (const needle of [erased.email, erased.phone, erased.givenName, erased.familyName])
      expect(await occurrences(needle), needle).toEqual([]);

    // The other customer keeps every delivery as it was.
    const others = await rowsOf(kept.id);
    expect(others.map((r) => r.status)).toEqual(["delivered", "delivered", "delivered"]);
    expect(others.find((r) => r.channel === "email")!.target).toBe(kept.email);
    expect(await occurrences(kept.email)).toEqual(
      expect.arrayContaining(["deliveries.target", "deliveries.event"]),
    );
    expect(await occurrences(kept.phone)).toEqual(["deliveries.event"]);
  });

  it("cancels, without sending, a delivery of an erased customer recorded after the erasure", async () => {
    const orderId = `order-${hex()}`;
    const shipped = committedEvent("OrderShipped", "Order", orderId, {
      trackingNumber: `TRK-${hex()}`,
      carrier: "DHL",
      customerId: erased.id,
    });
    await produceCommitted(n.topics.committed, [shipped]);
    await waitFor(n.consumedAll, 30_000, "the order event consumed");
    const rows = await n.deliveriesOf(shipped.eventId);
    expect(rows.map((r) => [r.channel, r.status]).sort()).toEqual([
      ["email", "cancelled"],
      ["sms", "cancelled"],
    ]);
    expect(rows.every((r) => r.target === "[erased]" && r.attempts === 0)).toBe(true);
    await sleep(1000);
    expect(await mailsWith(orderId)).toHaveLength(0);
  });

  it("cancels at send time a delivery whose customer, found through its order, was erased", async () => {
    const erasedOrder = `order-${hex()}`;
    const keptOrder = `order-${hex()}`;
    orders.set(erasedOrder, erased.id).set(keptOrder, kept.id);
    // The read model keeps nothing personal of the erased customer; the other one has an address.
    customers.set(erased.id, { customerId: erased.id, email: null, phone: null, deviceToken: null });
    customers.set(kept.id, { customerId: kept.id, email: kept.email, deviceToken: `device-${kept.id}` });
    const gone = committedEvent("OrderDelivered", "Order", erasedOrder);
    const there = committedEvent("OrderDelivered", "Order", keptOrder);
    await produceCommitted(n.topics.committed, [gone, there]);

    const sent = await n.delivered(there.eventId, 2);
    expect(sent.map((r) => [r.channel, r.target, r.recipient]).sort()).toEqual([
      ["email", kept.email, "customer"],
      ["push", `device-${kept.id}`, "customer"],
    ]);
    const cancelled = await waitFor(
      async () => {
        const rows = await n.deliveriesOf(gone.eventId);
        return rows.length === 2 && rows.every((r) => r.status === "cancelled") && rows;
      },
      30_000,
      "the erased customer's deliveries cancelled",
    );
    expect(cancelled.map((r) => [r.channel, r.target, r.lastError]).sort()).toEqual([
      [
        "email",
        "[erased]",
        `cancelled: the customer's personal data was erased (CustomerErased ${erasureId})`,
      ],
      [
        "push",
        "[erased]",
        `cancelled: the customer's personal data was erased (CustomerErased ${erasureId})`,
      ],
    ]);
    expect(await mailsWith(erasedOrder)).toHaveLength(0);
    expect(hooks.received.filter((r) => r.path === "/push" && r.body.includes(gone.eventId))).toEqual([]);
    expect(await mailsWith(keptOrder)).toHaveLength(1);
  });
});
