import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  demoApiKey,
  dropSchema,
  startService,
  testPool,
  waitFor,
  type RunningProcess,
} from "@eventscope/testkit";
import { mailsWith, startReceiver, type Receiver } from "../../notification/test/support.ts";
import { checkout, post, request, startStack, stock, streamOf, waitForStage, type Stack } from "./support.ts";

// Notifications of an order made by a checkout reach the customer: the pipeline, the process
// manager and the notification service as real processes on topics and schemas of their own.
// The events carry no address: the notification service finds the customer's e-mail and phone
// in the customer read model through the order's customerId (for a payment, through its order)
// and says so on each delivery (`recipient: customer`); a customer without a phone gets the SMS
// at the fallback. E-mails are read back from the SMTP sink, SMS from a provider stand-in.
let stack: Stack;
let notification: RunningProcess;
let sms: Receiver;
let defaultMailbox: string;

interface Delivery {
  eventType: string;
  rule: string;
  channel: string;
  status: string;
  target: string;
  recipient: string | null;
}

beforeAll(async () => {
  stack = await startStack("pmnotify");
  sms = await startReceiver();
  defaultMailbox = `${stack.name}@eventscope.test`;
  notification = await startService("notification", {
    TOPIC_PREFIX: `${stack.name}.`,
    LOG_LEVEL: "warn",
    API_KEYS: demoApiKey,
    DATABASE_SCHEMA: `${stack.name}_notify`,
    CONSUMER_GROUP: `${stack.name}-notification`,
    EMAIL_TO_DEFAULT: defaultMailbox,
    PROJECTION_URL: stack.projection.url,
    SMS_PROVIDER_URL: `${sms.url}/sms`,
    WEBHOOK_ALLOWED_TARGETS: "127.0.0.0/8",
  });
}, 120_000);

afterAll(async () => {
  await notification?.kill();
  await sms?.close();
  const pool = testPool();
  if (stack) await dropSchema(pool, `${stack.name}_notify`);
  await pool.end();
  await stack?.stop();
});

const unique = () => randomUUID().slice(0, 8);

/** A customer in the read model, with or without a phone. */
async function customer(phone?: string): Promise<{ customerId: string; email: string }> {
  const customerId = `cust-${unique()}`;
  const email = `${customerId}@customers.eventscope.test`;
  const res = await post(stack, "/customer", { customerId, name: "Ada", email, ...(phone ? { phone } : {}) });
  expect(res.status).toBe(202);
  await waitFor(async () => {
    const doc = await request(`${stack.projection.url}/customer/${customerId}`);
    return doc.status === 200 && doc.body.email === email;
  });
  return { customerId, email };
}

/** A checkout for the customer whose payment fails: the order is cancelled by the process manager. */
async function declinedOrder(customerId: string): Promise<{ orderId: string; paymentId: string }> {
  const productId = `prod-${unique()}`;
  await stock(stack, productId, 5);
  const { orderId } = await checkout(stack, customerId, [{ productId, quantity: 1, unitPrice: 12 }]);
  const paymentId = (await waitForStage(stack, `order:${orderId}`, "awaiting-payment")).state
    .paymentId as string;
  expect((await post(stack, `/api/payments/${paymentId}/fail`, { reason: "card declined" })).status).toBe(
    202,
  );
  await waitForStage(stack, `order:${orderId}`, "cancelled");
  return { orderId, paymentId };
}

/** The deliveries of the stored event of that type on the stream, once all are delivered. */
async function deliveriesOf(aggregateType: string, id: string, eventType: string, count: number) {
  const event = (await streamOf(stack, aggregateType, id)).find((e) => e.eventType === eventType);
  expect(event, `${eventType} of ${aggregateType} ${id}`).toBeDefined();
  return waitFor(
    async () => {
      const res = await request<{ deliveries: Delivery[] }>(
        `${notification.url}/api/deliveries?eventId=${event!.eventId}`,
      );
      const rows = res.body.deliveries ?? [];
      return rows.length === count && rows.every((r) => r.status === "delivered") ? rows : undefined;
    },
    45_000,
    `${count} delivered deliveries of ${eventType}`,
  );
}

/** The e-mails in the SMTP sink whose subject names the id, once there are `count` of them. */
const mails = (id: string, count: number) =>
  waitFor(
    async () => {
      const found = await mailsWith(id);
      return found.length >= count ? found : undefined;
    },
    30_000,
    `${count} e-mail(s) about ${id}`,
  );

describe("notifications of a checkout's order", () => {
  it("e-mail the customer's own address and text the customer's phone, found through the order", async () => {
    const phone = `+49 30 ${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const { customerId, email } = await customer(phone);
    const { orderId, paymentId } = await declinedOrder(customerId);

    // OrderCreated (sent by the process manager from the checkout) and OrderCancelled: by e-mail.
    for (const eventType of ["OrderCreated", "OrderCancelled"]) {
      const [mail] = await deliveriesOf("Order", orderId, eventType, 1);
      expect(mail).toMatchObject({ channel: "email", target: email, recipient: "customer" });
    }
    // PaymentFailed carries neither customer nor order: found through the payment's order.
    const failed = await deliveriesOf("Payment", paymentId, "PaymentFailed", 2);
    expect(failed.map((d) => [d.channel, d.target, d.recipient]).sort()).toEqual([
      ["email", email, "customer"],
      ["sms", phone, "customer"],
    ]);

    const orderMails = await mails(orderId, 2);
    expect(orderMails.map((m) => m.Subject).sort()).toEqual([
      `Order ${orderId} cancelled`,
      `Order ${orderId} received`,
    ]);
    for (const m of orderMails) expect(m.To.map((t) => t.Address)).toEqual([email]);
    const [paymentMail] = await mails(paymentId, 1);
    expect(paymentMail!.To.map((t) => t.Address)).toEqual([email]);
    expect(JSON.stringify(orderMails)).not.toContain(defaultMailbox);

    const texts = sms.received.map(
      (r) => JSON.parse(r.body) as { to: string; text: string; eventId: string },
    );
    const text = texts.find((t) => t.text.includes(paymentId));
    expect(text).toMatchObject({ to: phone });
    expect(text!.text).toContain("card declined");
  }, 180_000);

  it("sends the SMS to the fallback, and says so, when the customer has no phone", async () => {
    const { customerId, email } = await customer();
    const { paymentId } = await declinedOrder(customerId);
    const failed = await deliveriesOf("Payment", paymentId, "PaymentFailed", 2);
    const byChannel = new Map(failed.map((d) => [d.channel, d]));
    expect(byChannel.get("email")).toMatchObject({ target: email, recipient: "customer" });
    expect(byChannel.get("sms")).toMatchObject({ recipient: "default" });
    expect(byChannel.get("sms")!.target).not.toBe(email);
    const [mail] = await mails(paymentId, 1);
    expect(mail!.To.map((t) => t.Address)).toEqual([email]);
  }, 180_000);
});
