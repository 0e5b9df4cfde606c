import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, waitFor } from "@eventscope/testkit";
import { committedEvent, notificationUnderTest, produceCommitted, sleep } from "./support.ts";
import { behaviours, metricValue, startRoutedReceiver } from "./webhook-support.ts";

// Each channel and each webhook subscription has send slots and a failure budget of its own:
// endpoints that hang never delay a healthy endpoint or the e-mail, and an endpoint that keeps
// failing is switched off (recorded, counted) until an admin switches it on again.
let n: Awaited<ReturnType<typeof notificationUnderTest>>;
let receiver: Awaited<ReturnType<typeof startRoutedReceiver>>;
let flakyUp = false;
const hex = () => randomBytes(4).toString("hex");
const userEvent = (type: string) => committedEvent(type, "User", `user-${hex()}`);

beforeAll(async () => {
  receiver = await startRoutedReceiver("127.0.0.1", await freePort(), {
    "/ok": behaviours.ok,
    "/hang": behaviours.hang,
    "/flaky": (res, hit) => (flakyUp ? behaviours.ok : behaviours.fail)(res, hit),
  });
  n = await notificationUnderTest("notify_isolation", {
    SMS_PROVIDER_URL: `${receiver.url}/sms`,
    WEBHOOK_TIMEOUT_MS: "4000",
    DELIVERY_LEASE_MS: "10000",
    WEBHOOK_CONCURRENCY: "2",
    DISPATCH_CONCURRENCY: "4",
    MAX_ATTEMPTS: "3",
    RETRY_BASE_MS: "50",
    RETRY_MAX_MS: "200",
    WEBHOOK_FAILURE_BUDGET: "3",
    WEBHOOK_FAILURE_WINDOW_MS: "500",
  });
});

afterAll(async () => {
  await n?.stop();
  await receiver?.close();
});

describe("notification: webhook isolation and failure budget", () => {
  it("delivers to a healthy endpoint and sends the e-mail on time while ten endpoints hang", async () => {
    const type = `isolation_${hex()}`;
    for (let i = 0; i < 10; i++) await n.subscribe(`${receiver.url}/hang`, [type]);
    await n.subscribe(`${receiver.url}/ok`, [type]);
    const hooks = Array.from({ length: 20 }, () => userEvent(type));
    const shipped = Array.from({ length: 5 }, () =>
      committedEvent("OrderShipped", "Order", `order-${hex()}`, { trackingNumber: `TRK-${hex()}` }),
    );
    await produceCommitted(n.topics.committed, hooks);
    await produceCommitted(n.topics.committed, shipped);

    // One shared pool of 4 slots would be held by 200 hanging calls, 4 s each: within 12 s only
    // a handful of the others would get out. With slots per lane, all of them do.
    const counts = async () => {
      const rows = (await n.api(`/api/deliveries?limit=1000`)).body.deliveries as any[];
      const delivered = rows.filter((r) => r.status === "delivered");
      return {
        healthy: delivered.filter((r) => r.channel === "webhook" && r.target.endsWith("/ok")).length,
        email: delivered.filter((r) => r.channel === "email").length,
        sms: delivered.filter((r) => r.channel === "sms").length,
        hanging: delivered.filter((r) => r.target.endsWith("/hang")).length,
      };
    };
    const deadline = Date.now() + 12_000;
    let done = await counts();
    while (Date.now() < deadline && (done.healthy < 20 || done.email < 5 || done.sms < 5)) {
      await sleep(250);
      done = await counts();
    }
    expect(done).toEqual({ healthy: 20, email: 5, sms: 5, hanging: 0 });
    expect(receiver.on("/hang").length).toBeGreaterThan(0);
  });

  it("switches off a subscription after its failure budget, and an admin switches it on again", async () => {
    const type = `budget_${hex()}`;
    const { id } = await n.subscribe(`${receiver.url}/flaky`, [type]);
    const offBefore = await metricValue(n.service.url, "webhook_subscriptions_switched_off_total");
    // Failures spread over more than the window: two bursts apart.
    await produceCommitted(n.topics.committed, [userEvent(type), userEvent(type)]);
    await sleep(700);
    await produceCommitted(n.topics.committed, [userEvent(type), userEvent(type)]);

    const off = await waitFor(
      async () => {
        const s = (await n.api(`/api/subscriptions/${id}`)).body;
        return s.status === "disabled" && s;
      },
      30_000,
      "the subscription to be switched off",
    );
    expect(off.disabledReason).toMatch(
      /^switched off after \d+ consecutive failed attempts since .*; last: HTTP 500$/,
    );
    expect(off.switches).toEqual([{ status: "disabled", reason: off.disabledReason, at: off.disabledAt }]);
    expect(await metricValue(n.service.url, "webhook_subscriptions_switched_off_total")).toBe(offBefore + 1);
    await waitFor(
      async () => (await metricValue(n.service.url, "webhook_subscriptions", { status: "disabled" })) >= 1,
      15_000,
      "the disabled-subscriptions gauge",
    );
    // Nothing of it is left to retry, and nothing new is planned for it while it is off.
    const rule = `webhook:${id}`;
    await waitFor(
      async () =>
        ((await n.api(`/api/deliveries?rule=${rule}`)).body.deliveries as any[]).every(
          (d) => d.status === "dead" || d.status === "delivered",
        ),
      15_000,
      "no delivery of it still waiting",
    );
    const whileOff = userEvent(type);
    await produceCommitted(n.topics.committed, [whileOff]);
    await waitFor(n.consumedAll, 30_000, "the event sent while off to be consumed");
    expect(await n.deliveriesOf(whileOff.eventId)).toEqual([]);

    flakyUp = true;
    const on = await n.api(`/api/subscriptions/${id}/enable`, { method: "POST" });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ status: "active", consecutiveFailures: 0, disabledAt: null });
    expect(on.body.switches.map((s: any) => [s.status, s.reason])).toEqual([
      ["disabled", off.disabledReason],
      ["active", "switched on by an admin"],
    ]);
    const again = await n.api(`/api/subscriptions/${id}/enable`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toContain("application/problem+json");

    const afterOn = userEvent(type);
    await produceCommitted(n.topics.committed, [afterOn]);
    const [row] = await n.delivered(afterOn.eventId, 1);
    expect(row).toMatchObject({ rule, attempts: 1 });
  });
});
