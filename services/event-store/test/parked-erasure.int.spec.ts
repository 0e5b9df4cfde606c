import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventEnvelope } from "@eventscope/contracts";
import {
  partitionZero,
  request,
  serviceUnderTest,
  waitFor,
  type ServiceUnderTest,
} from "@eventscope/testkit";

// A parked message (dead_letters) of an erased customer keeps none of their personal data: the
// event store's erasure redacts it in the transaction that deletes the key, by the admin route
// (CustomerErased) and by a stored CustomerDeleted, and refuses to replay it.
let s: ServiceUnderTest;
const producer = partitionZero("parked-erasure-test");

const customerEvent = (
  customerId: string,
  eventType: string,
  data: Record<string, unknown>,
  eventId: string = randomUUID(),
): EventEnvelope => {
  const now = new Date().toISOString();
  return {
    eventId,
    eventType,
    aggregateType: "Customer",
    aggregateId: customerId,
    schemaVersion: eventType === "CustomerRegistered" || eventType === "CustomerUpdated" ? 2 : 1,
    timestamp: now,
    data,
    metadata: { correlationId: randomUUID(), source: "parked-erasure-test", acceptedAt: now },
  };
};
const registered = (customerId: string, email: string) =>
  customerEvent(customerId, "CustomerRegistered", { givenName: "Ada", familyName: "Lovelace", email });
// Parked by the store: nothing can be recorded under an event id that is no UUID.
const malformed = (customerId: string, data: Record<string, unknown>) =>
  customerEvent(customerId, "CustomerUpdated", data, `not-a-uuid-${randomBytes(4).toString("hex")}`);

interface Parked {
  id: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  reason: string;
}
const parkedBy = (eventId: string) =>
  waitFor(
    async () =>
      (
        await s.pool.query<Parked>(
          `SELECT id::text, key, value, headers, reason FROM "${s.name}".dead_letters WHERE headers ->> 'ce_id' = $1`,
          [eventId],
        )
      ).rows[0],
    15_000,
    `the parked message ${eventId}`,
  );
const stored = (eventId: string) =>
  waitFor(
    async () => {
      const { rows } = await s.pool.query(
        `SELECT 'stored' AS outcome FROM "${s.name}".events WHERE event_id = $1
         UNION ALL SELECT reason FROM "${s.name}".rejected_events WHERE event_id = $1`,
        [eventId],
      );
      if (rows[0]) expect(rows[0].outcome).toBe("stored");
      return rows[0];
    },
    15_000,
    `the stored event ${eventId}`,
  );

/** Every (table, column) of the schema holding `needle`: bytea by its UTF-8 bytes, the rest as text. */
async function occurrences(needle: string): Promise<string[]> {
  const { rows } = await s.pool.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = $1 AND data_type IN ('bytea', 'text', 'jsonb', 'json', 'character varying')
     ORDER BY table_name, column_name`,
    [s.name],
  );
  const found: string[] = [];
  for (const { table_name, column_name, data_type } of rows) {
    const where =
      data_type === "bytea"
        ? `position(convert_to($1, 'UTF8') IN "${column_name}") > 0`
        : `"${column_name}"::text LIKE '%' || $1 || '%'`;
    const hit = await s.pool.query(`SELECT 1 FROM "${s.name}"."${table_name}" WHERE ${where} LIMIT 1`, [
      needle,
    ]);
    if (hit.rowCount) found.push(`${table_name}.${column_name}`);
  }
  return found;
}

const replay = (id: string) =>
  request(`${s.service.url}/api/eventstore/dead-letters/${id}/replay`, { method: "POST" });

beforeAll(async () => {
  s = await serviceUnderTest("event-store", "parkederase");
  await producer.connect();
});

afterAll(async () => {
  await producer.disconnect();
  await s?.stop();
});

describe("event store: erasure of parked messages", () => {
  it("redacts an erased customer's parked messages, found by id or by e-mail, leaves the others and refuses their replay", async () => {
    const tag = randomBytes(4).toString("hex");
    const ada = `ada-${tag}`;
    const email = `lovelace.${tag}@example.com`;
    const grace = `grace-${tag}`;
    const graceEmail = `hopper.${tag}@example.com`;
    // Ada's e-mail in a message of her own stream, and in one keyed by another customer.
    const own = malformed(ada, { email });
    const copy = malformed(`someone-${tag}`, { familyName: `see ${email}` });
    const other = malformed(grace, { email: graceEmail });
    const adaRegistered = registered(ada, email);
    await producer.send(s.topics.ingest, [adaRegistered, own, copy, other]);
    await stored(adaRegistered.eventId);
    const [ownBefore, copyBefore, otherBefore] = await Promise.all([
      parkedBy(own.eventId),
      parkedBy(copy.eventId),
      parkedBy(other.eventId),
    ]);
    expect(ownBefore.value!.toString()).toContain(email);
    expect(copyBefore.value!.toString()).toContain(email);
    expect(copyBefore.key).not.toBe(ada);

    const erase = await request(`${s.service.url}/api/subjects/${ada}/erase`, { method: "POST", body: {} });
    expect(erase.status).toBe(202);
    const { eventId, eventType } = (erase.body.events as { eventId: string; eventType: string }[])[0]!;
    expect(eventType).toBe("CustomerErased");
    const erasedBy = { eventType, eventId };
    expect(await occurrences(email)).toEqual([]);

    const [ownAfter, copyAfter, otherAfter] = await Promise.all(
      [own, copy, other].map((e) => parkedBy(e.eventId)),
    );
    for (const [after, before] of [
      [ownAfter!, ownBefore],
      [copyAfter!, copyBefore],
    ] as const) {
      expect(JSON.parse(after.value!.toString())).toEqual({ erased: true, erasedBy });
      expect(after.reason).toBe(`${before.reason} (erased: CustomerErased ${erasedBy.eventId})`);
      expect(after.key).toBe(before.key);
    }
    expect(otherAfter).toEqual(otherBefore);

    const refused = await replay(ownAfter!.id);
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.body).toMatchObject({ code: "DEAD_LETTER_ERASED", status: 409 });
    expect(refused.body.detail ?? refused.body.title).toContain(erasedBy.eventId);
    expect((await replay(copyAfter!.id)).status).toBe(409);
    // The CustomerErased itself, once stored, leaves the redacted rows as they are (once amended).
    await stored(erasedBy.eventId);
    expect(await parkedBy(own.eventId)).toEqual(ownAfter);
    // The other customer's parked message still replays.
    expect((await replay(otherAfter!.id)).status).toBe(200);
    expect(await occurrences(graceEmail)).not.toEqual([]);
  });

  it("redacts them when a CustomerDeleted is stored, in the append that deletes the key", async () => {
    const tag = randomBytes(4).toString("hex");
    const alan = `alan-${tag}`;
    const email = `turing.${tag}@example.com`;
    const copy = malformed(`someone-${tag}`, { givenName: email });
    const deleted = customerEvent(alan, "CustomerDeleted", {});
    await producer.send(s.topics.ingest, [registered(alan, email), copy]);
    await parkedBy(copy.eventId);
    await producer.send(s.topics.ingest, [deleted]);
    await stored(deleted.eventId);
    const after = await parkedBy(copy.eventId);
    expect(JSON.parse(after.value!.toString())).toEqual({
      erased: true,
      erasedBy: { eventType: "CustomerDeleted", eventId: deleted.eventId },
    });
    expect(after.reason).toMatch(new RegExp(`\\(erased: CustomerDeleted ${deleted.eventId}\\)$`));
    expect(await occurrences(email)).toEqual([]);
  });
});
