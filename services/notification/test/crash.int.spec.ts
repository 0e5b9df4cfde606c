import { randomBytes } from "node:crypto";
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

// Guarantee 3 across a crash: the service is killed with SIGKILL while it is sending, more
// events arrive while it is down, and it is started again. Honest about what a crash can do:
// a delivery whose send succeeded but whose outcome was not yet recorded is sent again with
// the same delivery id (receivers dedupe by x-eventscope-delivery-id). So the test records
// which deliveries were in doubt (`sending`) at the kill and allows a repeat only for those.
const concurrency = 4;
let n: Awaited<ReturnType<typeof notificationUnderTest>>;
let hook: Receiver;

beforeAll(async () => {
  // Slow enough that the kill lands while deliveries are in flight.
  hook = await startReceiver(() => sleep(100).then(() => 200));
  n = await notificationUnderTest("notify_crash", {
    DISPATCH_CONCURRENCY: String(concurrency),
    WEBHOOK_TIMEOUT_MS: "1000",
    DELIVERY_LEASE_MS: "2000",
    RETRY_BASE_MS: "50",
  });
});

afterAll(async () => {
  await n?.stop();
  await hook?.close();
});

describe("notification: crash and restart", () => {
  it("leaves exactly one delivered delivery per (event, rule, channel) after a SIGKILL mid-stream", async () => {
    const token = `crash${randomBytes(4).toString("hex")}`;
    const type = `${token}_click`;
    await n.subscribe(hook.url, [type]);
    const batch = (from: number) => [
      ...Array.from({ length: 120 }, (_, i) => committedEvent(type, "User", `${token}-user-${from + i}`)),
      ...Array.from({ length: 5 }, (_, i) =>
        committedEvent("OrderConfirmed", "Order", `${token}-order-${from + i}`),
      ),
    ];
    const first = batch(0);
    const second = batch(1000);
    await produceCommitted(n.topics.committed, first);

    await waitFor(async () => hook.received.length >= 30, 30_000, "some webhooks to arrive");
    await n.service.kill("SIGKILL");
    const receivedBeforeKill = hook.received.map((r) => String(r.headers["x-eventscope-delivery-id"]));
    const { rows: inDoubt } = await n.pool.query<{ id: string }>(
      `SELECT id FROM "${n.name}".deliveries WHERE status = 'sending'`,
    );
    // The kill landed mid-stream and mid-send: deliveries were still ahead and some in flight.
    expect(hook.received.length).toBeLessThan(240);
    expect(inDoubt.length).toBeGreaterThan(0);
    expect(new Set(receivedBeforeKill).size).toBe(receivedBeforeKill.length);

    await produceCommitted(n.topics.committed, second);
    await n.service.restart();

    const events = [...first, ...second];
    const { rows } = await waitFor(
      async () => {
        const result = await n.pool.query<{
          id: string;
          event_id: string;
          rule: string;
          channel: string;
          status: string;
        }>(`SELECT id, event_id, rule, channel, status FROM "${n.name}".deliveries`);
        return (
          result.rows.length === events.length && result.rows.every((r) => r.status === "delivered") && result
        );
      },
      90_000,
      `${events.length} deliveries to be delivered after the restart`,
    );
    // Exactly one delivery per (event, rule, channel), each event with its one delivery.
    expect(new Set(rows.map((r) => `${r.event_id} ${r.rule} ${r.channel}`)).size).toBe(events.length);
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(events.map((e) => e.eventId)));

    // Every webhook delivery reached the receiver, under one delivery id per event.
    const webhookIds = rows.filter((r) => r.channel === "webhook").map((r) => r.id);
    const received = hook.received.map((r) => String(r.headers["x-eventscope-delivery-id"]));
    expect(new Set(received)).toEqual(new Set(webhookIds));
    const idsPerEvent = new Map<string, Set<string>>();
    for (const r of hook.received) {
      const eventId = String(r.headers["x-eventscope-event-id"]);
      idsPerEvent.set(
        eventId,
        (idsPerEvent.get(eventId) ?? new Set()).add(String(r.headers["x-eventscope-delivery-id"])),
      );
    }
    expect([...idsPerEvent.values()].every((ids) => ids.size === 1)).toBe(true);

    // Repeats only for what was in doubt at the kill, never more than were in flight.
    const repeated = received.filter((id, i) => received.indexOf(id) !== i);
    const doubtful = new Set(inDoubt.map((r) => r.id));
    expect(repeated.filter((id) => !doubtful.has(id))).toEqual([]);
    expect(repeated.length).toBeLessThanOrEqual(concurrency);

    // E-mail: one message per delivery id (Message-ID), each order mailed.
    const mails = await mailsWith(token);
    const orders = new Set(mails.map((m) => m.Subject.split(" ")[1]));
    expect(orders.size).toBe(10);
    expect(mails.length - orders.size).toBeLessThanOrEqual(doubtful.size);
  }, 180_000);
});
