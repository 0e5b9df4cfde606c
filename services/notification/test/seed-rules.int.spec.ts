import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@eventscope/testkit";
import {
  committedEvent,
  mailText,
  mailsWith,
  notificationUnderTest,
  produce,
  produceCommitted,
  sleep,
  startReceiver,
  traceIdOf,
  type Receiver,
} from "./support.ts";

// The e-commerce seed's notification rules end to end: committed events on the real Kafka,
// deliveries in the real PostgreSQL, e-mail through the real SMTP sink, SMS and push to a
// provider stand-in. Guarantees 3 (exactly once across redelivery) and 4 (poison parked).
let providers: Receiver;
let n: Awaited<ReturnType<typeof notificationUnderTest>>;
const hex = () => randomBytes(4).toString("hex");
const header = (headers: Record<string, string[]>, name: string) =>
  Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1][0];
const sent = (path: string, eventId: string) =>
  providers.received.filter((r) => r.path === path && JSON.parse(r.body).eventId === eventId);

beforeAll(async () => {
  providers = await startReceiver();
  n = await notificationUnderTest("notify_seed", {
    SMS_PROVIDER_URL: `${providers.url}/sms`,
    PUSH_PROVIDER_URL: `${providers.url}/push`,
  });
});

afterAll(async () => {
  await n?.stop();
  await providers?.close();
});

describe("notification: the seed's rules", () => {
  it("sends OrderShipped as one e-mail and one SMS with the tracking number, both recorded delivered", async () => {
    const orderId = `order-${hex()}`;
    const tracking = `TRK-${hex()}`;
    const shipped = committedEvent("OrderShipped", "Order", orderId, {
      trackingNumber: tracking,
      carrier: "DHL",
    });
    await produceCommitted(n.topics.committed, [shipped]);

    const rows = await n.delivered(shipped.eventId, 2);
    expect(rows.map((r) => [r.rule, r.channel, r.attempts]).sort()).toEqual([
      ["order-shipped", "email", 1],
      ["order-shipped", "sms", 1],
    ]);
    const mails = await mailsWith(orderId);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.To.map((t) => t.Address)).toEqual([`${n.name}@eventscope.test`]);
    expect(mails[0]!.Subject).toBe(`Order ${orderId} shipped`);
    const mail = await mailText(mails[0]!.ID);
    expect(mail.Text).toContain(`Tracking number: ${tracking}`);
    const emailRow = rows.find((r) => r.channel === "email");
    expect(header(mail.Headers, "x-eventscope-delivery-id")).toBe(emailRow.id);
    // The e-mail carries the event's trace, so the SMTP hop is found from the mail too.
    expect(traceIdOf(header(mail.Headers, "traceparent"))).toBe(traceIdOf(shipped.metadata.traceparent));
    const sms = sent("/sms", shipped.eventId);
    expect(sms).toHaveLength(1);
    expect(JSON.parse(sms[0]!.body)).toMatchObject({ eventId: shipped.eventId, rule: "order-shipped" });
    expect(JSON.parse(sms[0]!.body).text).toContain(tracking);
  });

  it("sends OrderDelivered as an e-mail and a push notification", async () => {
    const orderId = `order-${hex()}`;
    const event = committedEvent("OrderDelivered", "Order", orderId);
    await produceCommitted(n.topics.committed, [event]);
    const rows = await n.delivered(event.eventId, 2);
    expect(rows.map((r) => r.channel).sort()).toEqual(["email", "push"]);
    expect(await mailsWith(orderId)).toHaveLength(1);
    expect(sent("/push", event.eventId)).toHaveLength(1);
  });

  it("changes nothing when the same committed events are delivered again (guarantee 3)", async () => {
    const orderId = `order-${hex()}`;
    const events = [
      committedEvent("OrderShipped", "Order", orderId, { trackingNumber: `TRK-${hex()}` }),
      committedEvent("PaymentFailed", "Payment", `pay-${orderId}`, { reason: "card declined" }),
    ];
    await produceCommitted(n.topics.committed, events);
    const before = [
      await n.delivered(events[0]!.eventId, 2),
      await n.delivered(events[1]!.eventId, 2),
    ].flat();

    await produceCommitted(n.topics.committed, events);
    await produceCommitted(n.topics.committed, events);
    await waitFor(n.consumedAll, 30_000, "the repeated events to be consumed");
    await sleep(500);

    const after = [await n.deliveriesOf(events[0]!.eventId), await n.deliveriesOf(events[1]!.eventId)].flat();
    const key = (r: any) => `${r.id} ${r.status} ${r.attempts}`;
    expect(after.map(key).sort()).toEqual(before.map(key).sort());
    expect(await mailsWith(orderId)).toHaveLength(2);
    expect(sent("/sms", events[0]!.eventId)).toHaveLength(1);
    expect(sent("/sms", events[1]!.eventId)).toHaveLength(1);
  });

  it("parks a malformed record with its reason and still delivers the next event (guarantee 4)", async () => {
    const orderId = `order-${hex()}`;
    await produce(n.topics.committed, [{ key: orderId, value: "this is not an event" }]);
    const next = committedEvent("OrderConfirmed", "Order", orderId);
    await produceCommitted(n.topics.committed, [next]);

    await n.delivered(next.eventId, 1);
    expect(await mailsWith(orderId)).toHaveLength(1);
    const parked = async () =>
      ((await n.api("/api/notification/dead-letters")).body.deadLetters as any[]).filter(
        (d) => d.key === orderId,
      );
    const [letter] = await parked();
    expect(letter).toMatchObject({
      topic: n.topics.committed,
      value: "this is not an event",
      replayedAt: null,
    });
    expect(letter.reason).toContain("ce_specversion header missing");

    // A replay sends it back to the topic: it is parked again, and marked replayed here.
    const replay = await n.api(`/api/notification/dead-letters/${letter.id}/replay`, { method: "POST" });
    expect(replay.status).toBe(200);
    expect(replay.body.replayedAt).not.toBeNull();
    expect(
      (await n.api(`/api/notification/dead-letters/${letter.id}/replay`, { method: "POST" })).status,
    ).toBe(404);
    const again = await waitFor(
      async () => (await parked()).find((d) => d.id !== letter.id),
      20_000,
      "re-park",
    );
    expect(again.offset).not.toBe(letter.offset);
    const metrics = (await n.api("/metrics")).body as string;
    expect(metrics).toMatch(/events_consume_errors_total\{[^}]*reason="malformed"[^}]*\} [1-9]/);
  });
});
