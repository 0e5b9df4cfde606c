import { createHmac, randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@eventscope/testkit";
import {
  committedEvent,
  notificationUnderTest,
  produceCommitted,
  sleep,
  startReceiver,
  traceIdOf,
  type Received,
  type Receiver,
} from "./support.ts";

// Webhook subscriptions against the real Kafka and PostgreSQL: signed, traced, retried with
// backoff, dead after MAX_ATTEMPTS and replayable. Each test subscribes to event types of its
// own (free-form user-activity types), so tests never see each other's deliveries.
const jaeger = process.env.JAEGER_QUERY_URL ?? "http://127.0.0.1:16686";
let n: Awaited<ReturnType<typeof notificationUnderTest>>;
const receivers: Receiver[] = [];
const uniqueType = (label: string) => `${label}_${randomBytes(4).toString("hex")}`;
const userEvent = (type: string) => committedEvent(type, "User", `user-${randomBytes(4).toString("hex")}`);
const receiver = async (respond?: Parameters<typeof startReceiver>[0]) => {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
};
const deliveryIds = (received: Received[]) =>
  received.map((r) => String(r.headers["x-eventscope-delivery-id"]));

beforeAll(async () => {
  n = await notificationUnderTest("notify_hooks", {
    RETRY_BASE_MS: "50",
    RETRY_MAX_MS: "400",
    MAX_ATTEMPTS: "5",
    WEBHOOK_TIMEOUT_MS: "1000",
  });
});

afterEach(async () => {
  for (const s of (await n.api("/api/subscriptions")).body.subscriptions)
    await n.api(`/api/subscriptions/${s.id}`, { method: "DELETE" });
});

afterAll(async () => {
  await n?.stop();
  for (const r of receivers) await r.close();
});

describe("notification: webhooks", () => {
  it("delivers each matching event once, signed with the subscription's secret and carrying its trace", async () => {
    const [wanted, alsoWanted, other] = [uniqueType("signup"), uniqueType("login"), uniqueType("logout")];
    const hook = await receiver();
    const subscription = await n.subscribe(`${hook.url}/hooks`, [wanted, alsoWanted]);
    expect(subscription.secret).toMatch(/^[0-9a-f]{64}$/);
    const events = [userEvent(wanted), userEvent(other), userEvent(alsoWanted)];
    await produceCommitted(n.topics.committed, events);

    const rows = [await n.delivered(events[0]!.eventId, 1), await n.delivered(events[2]!.eventId, 1)].flat();
    await waitFor(n.consumedAll, 30_000, "every event to be consumed");
    expect(await n.deliveriesOf(events[1]!.eventId)).toEqual([]);
    expect(hook.received).toHaveLength(2);
    expect(new Set(deliveryIds(hook.received)).size).toBe(2);
    for (const request of hook.received) {
      const event = events.find((e) => e.eventId === request.headers["x-eventscope-event-id"])!;
      expect(JSON.parse(request.body)).toMatchObject({ eventId: event.eventId, eventType: event.eventType });
      const row = rows.find((r) => r.eventId === event.eventId);
      expect(request.headers["x-eventscope-delivery-id"]).toBe(row.id);
      expect(row).toMatchObject({ channel: "webhook", rule: `webhook:${subscription.id}`, attempts: 1 });
      // Verified as a receiver would, independently of the service's own code.
      const timestamp = String(request.headers["x-eventscope-timestamp"]);
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
      const mac = createHmac("sha256", subscription.secret)
        .update(`${timestamp}.${request.body}`)
        .digest("hex");
      expect(request.headers["x-eventscope-signature"]).toBe(`t=${timestamp},v1=${mac}`);
      // The call joins the event's trace as a child of the notification service's spans.
      const traceparent = String(request.headers.traceparent);
      expect(traceIdOf(traceparent)).toBe(traceIdOf(event.metadata.traceparent));
      expect(traceparent).not.toBe(event.metadata.traceparent);
    }
    // In Jaeger: the webhook call is a CLIENT span under the consumer span of the event.
    const traceId = traceIdOf(events[0]!.metadata.traceparent)!;
    const spans = await waitFor(
      async () => {
        const res = await fetch(`${jaeger}/api/traces/${traceId}`);
        const found: any[] = res.status === 200 ? ((await res.json()) as any).data[0].spans : [];
        return found.some((s) => s.operationName === "webhook POST") && found;
      },
      20_000,
      `trace ${traceId} in Jaeger`,
    );
    const consumer = spans.find((s) => s.operationName === `${n.topics.committed} process`);
    const webhook = spans.find((s) => s.operationName === "webhook POST");
    expect(webhook.references).toContainEqual(
      expect.objectContaining({ refType: "CHILD_OF", spanID: consumer.spanID }),
    );
    expect(webhook.tags).toContainEqual({ key: "span.kind", type: "string", value: "client" });
  });

  it("refuses a subscription without an http(s) url or event types, naming the field", async () => {
    const badUrl = await n.api("/api/subscriptions", { body: { url: "mailto:x@y.z", eventTypes: ["A"] } });
    expect(badUrl.status).toBe(400);
    expect(badUrl.headers.get("content-type")).toContain("application/problem+json");
    expect(badUrl.body.errors).toEqual([{ field: "url", reason: expect.any(String) }]);
    const noTypes = await n.api("/api/subscriptions", {
      body: { url: "http://127.0.0.1:9/", eventTypes: [] },
    });
    expect(noTypes.body.errors.map((e: any) => e.field)).toEqual(["eventTypes"]);

    const created = await n.api("/api/subscriptions", {
      body: { url: "https://127.0.0.1:9/x", eventTypes: ["*"], secret: "my-own-secret-0123456789" },
    });
    expect(created).toMatchObject({
      status: 201,
      body: { eventTypes: ["*"], secret: "my-own-secret-0123456789" },
    });
    const fetched = await n.api(`/api/subscriptions/${created.body.id}`);
    expect(fetched.body).toEqual({
      id: created.body.id,
      url: "https://127.0.0.1:9/x",
      eventTypes: ["*"],
      status: "active",
      consecutiveFailures: 0,
      failingSince: null,
      disabledAt: null,
      disabledReason: null,
      createdAt: created.body.createdAt,
      switches: [],
    });
    // Kept sealed: the secret is nowhere in the row in the clear.
    const { rows } = await n.pool.query(`SELECT * FROM ${n.name}.subscriptions WHERE id = $1`, [
      created.body.id,
    ]);
    expect(rows[0].secret).toBeNull();
    expect(JSON.stringify(rows[0])).not.toContain("my-own-secret");
    expect((await n.api(`/api/subscriptions/${created.body.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await n.api(`/api/subscriptions/${created.body.id}`)).status).toBe(404);
  });

  it("retries a receiver that fails three times and records one successful delivery after 4 attempts", async () => {
    const type = uniqueType("flaky");
    let calls = 0;
    const hook = await receiver(() => (++calls <= 3 ? 500 : 200));
    await n.subscribe(hook.url, [type]);
    const event = userEvent(type);
    await produceCommitted(n.topics.committed, [event]);

    const [row] = await n.delivered(event.eventId, 1);
    expect(row).toMatchObject({ status: "delivered", attempts: 4, lastError: "HTTP 500" });
    expect(hook.received.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(deliveryIds(hook.received))).toEqual(new Set([row.id]));
    expect(hook.ok()).toHaveLength(1);
    const replayDelivered = await n.api(`/api/deliveries/${row.id}/replay`, { method: "POST" });
    expect(replayDelivered.status).toBe(409);
  });

  it("counts a receiver that does not answer within WEBHOOK_TIMEOUT_MS as a failed attempt", async () => {
    const type = uniqueType("slow");
    let calls = 0;
    const hook = await receiver(() => (++calls === 1 ? sleep(1500).then(() => 200) : 200));
    await n.subscribe(hook.url, [type]);
    const event = userEvent(type);
    await produceCommitted(n.topics.committed, [event]);

    const [row] = await n.delivered(event.eventId, 1);
    expect(row).toMatchObject({ attempts: 2, lastError: "timed out after 1000 ms" });
  });

  it("gives up on a receiver that always fails after MAX_ATTEMPTS as dead, and delivers it once replayed", async () => {
    const type = uniqueType("down");
    let up = false;
    const hook = await receiver(() => (up ? 204 : 503));
    await n.subscribe(hook.url, [type]);
    const event = userEvent(type);
    await produceCommitted(n.topics.committed, [event]);

    const dead = await waitFor(
      async () => (await n.deliveriesOf(event.eventId)).find((r) => r.status === "dead"),
      30_000,
      "the delivery to be dead",
    );
    expect(dead).toMatchObject({ attempts: 5, lastError: "HTTP 503", nextAttemptAt: null });
    expect(hook.received).toHaveLength(5);
    expect((await n.api(`/api/deliveries?status=dead&rule=${dead.rule}`)).body.deliveries).toHaveLength(1);

    up = true;
    const replay = await n.api(`/api/deliveries/${dead.id}/replay`, { method: "POST" });
    expect(replay).toMatchObject({ status: 200, body: { id: dead.id, status: "pending", attempts: 0 } });
    const [row] = await n.delivered(event.eventId, 1);
    expect(row).toMatchObject({ id: dead.id, attempts: 1 });
    expect(hook.ok()).toHaveLength(1);

    const metrics = (await n.api("/metrics")).body as string;
    expect(metrics).toMatch(/notification_send_errors_total\{[^}]*channel="webhook"[^}]*\} ([5-9]|\d\d)/);
    expect(metrics).toMatch(/notifications_sent_total\{[^}]*channel="webhook",rule="webhook"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/event_end_to_end_latency_seconds_count\{[^}]*stage="notified"[^}]*\} [1-9]/);
    // Counted on a timer: eventually there.
    await waitFor(
      async () =>
        /notification_deliveries\{[^}]*status="delivered"[^}]*\} [1-9]/.test((await n.api("/metrics")).body),
      15_000,
      "the deliveries gauge",
    );
  });

  it("seals at start a secret an older version stored in the clear, and still signs with it", async () => {
    const type = uniqueType("legacy");
    const hook = await receiver();
    const legacy = "legacy-secret-0123456789";
    const { rows } = await n.pool.query(
      `INSERT INTO ${n.name}.subscriptions (url, event_types, secret) VALUES ($1, $2, $3) RETURNING id`,
      [hook.url, [type], legacy],
    );
    await n.service.kill();
    await n.service.restart();
    const stored = await n.pool.query(
      `SELECT secret, secret_sealed FROM ${n.name}.subscriptions WHERE id = $1`,
      [rows[0].id],
    );
    expect(stored.rows[0]).toMatchObject({ secret: null, secret_sealed: expect.stringMatching(/^gcm1\./) });

    const event = userEvent(type);
    await produceCommitted(n.topics.committed, [event]);
    await n.delivered(event.eventId, 1);
    const [request] = hook.received;
    const timestamp = String(request!.headers["x-eventscope-timestamp"]);
    const mac = createHmac("sha256", legacy).update(`${timestamp}.${request!.body}`).digest("hex");
    expect(request!.headers["x-eventscope-signature"]).toBe(`t=${timestamp},v1=${mac}`);
  });
});
