import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrl, dropSchema, testPool, uniqueName } from "@eventscope/testkit";
import { eraseParkedMessages } from "./dead-letters.ts";
import { createPool, migrate, withTransaction, type Pool } from "./postgres.ts";

// eraseParkedMessages against the real PostgreSQL, on the platform's dead_letters table.
const admin = testPool();
const schema = uniqueName("parkederase");
let pool: Pool;
let dir: string;

interface Row {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  reason: string;
}
let offset = 0;
async function parked(row: Row): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO dead_letters (topic, partition, "offset", key, value, headers, reason)
     VALUES ('t', 0, $1, $2, $3, $4, $5) RETURNING id::text`,
    [offset++, row.key, row.value, JSON.stringify(row.headers), row.reason],
  );
  return rows[0]!.id;
}
const read = async (id: string): Promise<Row> =>
  (await pool.query<Row>("SELECT key, value, headers, reason FROM dead_letters WHERE id = $1", [id]))
    .rows[0]!;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "migrations-"));
  pool = createPool({ connectionString: databaseUrl, schema, max: 2 });
  await migrate(pool, { schema, dir, platform: ["dead_letters"] });
});

afterAll(async () => {
  await pool.end();
  await dropSchema(admin, schema);
  await admin.end();
  await rm(dir, { recursive: true, force: true });
});

describe("eraseParkedMessages", () => {
  it("redacts the subject's rows, found by key or by a personal value, and leaves the others", async () => {
    const email = `${schema}@example.com`;
    const phone = "+44 20 7946 0000";
    const own = await parked({
      key: "cust-1",
      value: Buffer.from(JSON.stringify({ customerId: "cust-1", email, name: "Al" })),
      headers: { ce_id: "e1", "x-reply-to": email, traceparent: "00-abc-def-01" },
      reason: `invalid: ${email} is not allowed`,
    });
    const byValue = await parked({
      key: "order-9",
      value: Buffer.from(`{"phone":"${phone}"`),
      headers: { ce_id: "e2" },
      reason: "malformed: not JSON",
    });
    const other = await parked({
      key: "cust-2",
      value: Buffer.from(JSON.stringify({ customerId: "cust-2", name: "Al" })),
      headers: { ce_id: "e3" },
      reason: "malformed: no event id",
    });
    // Another customer whose id holds this one's.
    const longer = await parked({
      key: "cust-10",
      value: Buffer.from(JSON.stringify({ customerId: "cust-10" })),
      headers: { ce_subject: "cust-10" },
      reason: "malformed: no event id",
    });
    const otherBefore = await read(other);
    const longerBefore = await read(longer);
    const erasure = {
      subjectId: "cust-1",
      // "Al" is too short to be looked for inside other messages.
      values: [email, phone, "Al"],
      eventType: "CustomerErased",
      eventId: "11111111-1111-4111-8111-111111111111",
    };
    expect(await withTransaction(pool, (client) => eraseParkedMessages(client, erasure))).toBe(2);
    const stub = { erased: true, erasedBy: { eventType: erasure.eventType, eventId: erasure.eventId } };
    expect(await read(own)).toEqual({
      key: "cust-1",
      value: Buffer.from(JSON.stringify(stub)),
      headers: { ce_id: "e1", traceparent: "00-abc-def-01" },
      reason: `invalid: [erased] is not allowed (erased: CustomerErased ${erasure.eventId})`,
    });
    expect(JSON.parse((await read(byValue)).value!.toString())).toEqual(stub);
    expect(await read(other)).toEqual(otherBefore);
    expect(await read(longer)).toEqual(longerBefore);

    // Met again (the erasure event consumed after the route), the rows stay as the first left them.
    const first = await read(own);
    const again = { ...erasure, eventId: "22222222-2222-4222-8222-222222222222", values: [] };
    await withTransaction(pool, (client) => eraseParkedMessages(client, again));
    expect(await read(own)).toEqual(first);
  });

  it("runs in the caller's transaction: rolled back with it, nothing is redacted", async () => {
    const email = `rollback.${schema}@example.com`;
    const id = await parked({ key: "cust-3", value: Buffer.from(email), headers: {}, reason: "malformed" });
    const before = await read(id);
    await expect(
      withTransaction(pool, async (client) => {
        await eraseParkedMessages(client, {
          subjectId: "cust-3",
          values: [email],
          eventType: "CustomerDeleted",
          eventId: "33333333-3333-4333-8333-333333333333",
        });
        throw new Error("the erasure's other work failed");
      }),
    ).rejects.toThrow("the erasure's other work failed");
    expect(await read(id)).toEqual(before);
  });
});
