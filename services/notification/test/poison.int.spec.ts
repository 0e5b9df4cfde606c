import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommittedEvent } from "@eventscope/contracts";
import {
  partitionZero,
  readinessFailure,
  readinessRecovery,
  waitFor,
  whileLocked,
} from "@eventscope/testkit";
import { committedEvent, notificationUnderTest, startReceiver, type Receiver } from "./support.ts";

// Guarantee 4 and the gap rule for notifications: committed events produced straight to the
// committed topic onto one partition, deliveries recorded in the real PostgreSQL.
let hook: Receiver;
let n: Awaited<ReturnType<typeof notificationUnderTest>>;
const producer = partitionZero("notification-poison-test");
const token = `poison${randomBytes(4).toString("hex")}`;
const type = `${token}_tick`;

const at = (event: CommittedEvent, version: number): CommittedEvent => ({ ...event, version });
const send = (events: CommittedEvent[]) => producer.send(n.topics.committed, events);
const recorded = async (aggregateIds: string[]) =>
  (
    await n.pool.query<{ aggregate_id: string; version: number; status: string }>(
      `SELECT event->>'aggregateId' AS aggregate_id, (event->>'version')::int AS version, status
       FROM "${n.name}".deliveries WHERE event->>'aggregateId' = ANY($1) ORDER BY 1, 2`,
      [aggregateIds],
    )
  ).rows;
const deadLetters = async () =>
  (await n.api("/api/notification/dead-letters?limit=1000")).body.deadLetters as {
    key: string;
    reason: string;
  }[];

beforeAll(async () => {
  hook = await startReceiver();
  n = await notificationUnderTest("notify_poison", { LAG_STUCK_AFTER_MS: "2000" });
  await n.subscribe(hook.url, [type]);
  await producer.connect();
});

afterAll(async () => {
  await producer.disconnect();
  await n?.stop();
  await hook?.close();
});

describe("notification: poison, gaps and stuck partitions", () => {
  it("parks events PostgreSQL refuses and records the 200 after them on the same partition within seconds", async () => {
    const nul = `order-nul-${token}`;
    const surrogate = `order-surrogate-${token}`;
    // The tracking number goes into the e-mail and SMS text: a NUL or a lone surrogate there is refused.
    const poison = [
      committedEvent("OrderShipped", "Order", nul, { trackingNumber: "TRK\u00001" }),
      committedEvent("OrderShipped", "Order", surrogate, { trackingNumber: "TRK\ud8001" }),
    ];
    const users = Array.from({ length: 200 }, (_, i) => `${token}-user-${i}`);
    const started = Date.now();
    await send([...poison, ...users.map((u) => committedEvent(type, "User", u))]);
    await waitFor(async () => (await recorded(users)).length === 200, 15_000, "200 deliveries recorded");
    console.info(`200 events after the poison recorded in ${(Date.now() - started) / 1000} s`);
    await waitFor(
      async () => (await recorded(users)).every((r) => r.status === "delivered"),
      30_000,
      "the 200 webhooks delivered",
    );
    const parked = await waitFor(async () => {
      const list = (await deadLetters()).filter((d) => d.key === nul || d.key === surrogate);
      return list.length === 2 ? list : undefined;
    });
    expect(parked.find((d) => d.key === nul)!.reason).toMatch(/^unrecordable: .*\(SQLSTATE 22P05\)$/);
    expect(parked.find((d) => d.key === surrogate)!.reason).toMatch(/^unrecordable: .*\(SQLSTATE 22\w{3}\)$/);
    expect(await recorded([nul, surrogate])).toEqual([]);
    const metrics = await (await fetch(`${n.service.url}/metrics`)).text();
    expect(metrics).toMatch(/events_consume_errors_total\{[^}]*reason="poison"[^}]*\} 2/);
  });

  it("parks a version that comes before the ones missing below it (a gap) and adds nothing for a duplicate", async () => {
    const user = `${token}-gap`;
    const [v1, v2, v3, v4] = [1, 2, 3, 4].map((v) => at(committedEvent(type, "User", user), v));
    await send([v1!, v2!, v4!, at(v2!, 2), v3!]);
    await waitFor(async () => (await recorded([user])).length === 3, 15_000, "versions 1..3 recorded");
    const parked = await waitFor(async () => (await deadLetters()).find((d) => d.key === user));
    expect(parked.reason).toBe(`gap: User-${user} is at version 2, version 4 came before 3`);
    expect((await recorded([user])).map((r) => r.version)).toEqual([1, 2, 3]);
  });

  it("records the versions of events that call for nothing (no transaction for them), so a later one that does is no gap, and parks a gap among them", async () => {
    const user = `${token}-quiet`;
    const quiet = `${token}_quiet`;
    const head = async () =>
      (
        await n.pool.query<{ version: number }>(
          `SELECT version FROM "${n.name}".consumed_streams WHERE stream_id = $1`,
          [`User-${user}`],
        )
      ).rows[0]?.version;
    await send([1, 2, 3].map((v) => at(committedEvent(quiet, "User", user), v)));
    await waitFor(async () => (await head()) === 3, 15_000, "versions 1..3 recorded as consumed");
    await send([at(committedEvent(type, "User", user), 4)]);
    await waitFor(async () => (await recorded([user])).length === 1, 15_000, "version 4 recorded");
    expect((await recorded([user])).map((r) => r.version)).toEqual([4]);
    await send([at(committedEvent(quiet, "User", user), 6)]);
    const parked = await waitFor(async () => (await deadLetters()).find((d) => d.key === user));
    expect(parked.reason).toBe(`gap: User-${user} is at version 4, version 6 came before 5`);
    expect(await head()).toBe(4);
  });

  it("fails readiness while a partition is stuck behind a lock, naming it, and recovers once it moves", async () => {
    const user = `${token}-locked`;
    await send([committedEvent(type, "User", user)]);
    await waitFor(async () => (await recorded([user])).length === 1, 15_000, "version 1 recorded");
    const stuck = await whileLocked(
      n.pool,
      (holder) =>
        holder.query(`SELECT * FROM "${n.name}".consumed_streams WHERE stream_id = $1 FOR UPDATE`, [
          `User-${user}`,
        ]),
      async () => {
        await send([at(committedEvent(type, "User", user), 2)]);
        return readinessFailure(n.service.url);
      },
    );
    expect(stuck).toMatchObject({
      status: "not ready",
      checks: { partitions: false, consumer: true },
      details: {
        partitions: { stuck: [{ group: n.groupId, topic: n.topics.committed, partition: 0, lag: 1 }] },
      },
    });
    await readinessRecovery(n.service.url);
    expect((await recorded([user])).map((r) => r.version)).toEqual([1, 2]);
  });
});
