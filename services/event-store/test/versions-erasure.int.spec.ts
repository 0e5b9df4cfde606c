import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TopicNames } from "@eventscope/platform";
import {
  createTopics,
  deleteTopics,
  dropSchema,
  request,
  startService,
  testPool,
  uniqueName,
  waitFor,
  type RunningProcess,
} from "@eventscope/testkit";

// Schema versions, personal data erasure and each event's ingest origin, with the producer,
// event store and projection running as real processes on the real Kafka and PostgreSQL.
const name = uniqueName("versions");
const storeSchema = `${name}_store`;
const projectionSchema = `${name}_projection`;
let topics: TopicNames;
let producer: RunningProcess;
let store: RunningProcess;
let projection: RunningProcess;
const pool = testPool();

const send = (method: string, path: string, body?: unknown) =>
  request(`${producer.url}${path}`, { method, body: body ?? {} });
const fromStore = (path: string) => request(`${store.url}${path}`);
const fromProjection = (path: string) => request(`${projection.url}${path}`);

type Doc = Record<string, unknown>;

/** The customer read model's document once `until` holds for it. */
const customerDoc = (id: string, until: (doc: Doc) => boolean) =>
  waitFor(
    async () => {
      const res = await fromProjection(`/api/customers/${id}`);
      return res.status === 200 && until(res.body as Doc) ? (res.body as Doc) : undefined;
    },
    30_000,
    `customer ${id} in the read model`,
  );

const streamOf = async (id: string) =>
  (await fromStore(`/api/eventstore/streams/Customer/${id}`)).body.events as Doc[];

async function rebuild(projectionName: string): Promise<void> {
  const res = await request(`${projection.url}/api/projections/${projectionName}/rebuild`, {
    method: "POST",
  });
  expect(res.status).toBe(202);
  await waitFor(
    async () => {
      const status = await fromProjection(`/api/projections/${projectionName}`);
      return status.body.status === "live" && status.body.rebuiltAt !== null ? true : undefined;
    },
    60_000,
    `${projectionName} to be rebuilt`,
  );
}

/** Every (table, column) of a schema's text and jsonb columns whose value contains `needle`. */
async function occurrences(schema: string, needle: string): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = $1 AND data_type IN ('text', 'jsonb', 'json', 'character varying')`,
    [schema],
  );
  const found: string[] = [];
  for (const { table_name, column_name } of rows) {
    const hit = await pool.query(
      `SELECT 1 FROM "${schema}"."${table_name}" WHERE "${column_name}"::text LIKE $1 LIMIT 1`,
      [`%${needle}%`],
    );
    if (hit.rowCount) found.push(`${table_name}.${column_name}`);
  }
  return found;
}

beforeAll(async () => {
  topics = await createTopics(`${name}.`, 2);
  const common = { TOPIC_PREFIX: `${name}.`, LOG_LEVEL: "warn" };
  store = await startService("event-store", {
    ...common,
    DATABASE_SCHEMA: storeSchema,
    CONSUMER_GROUP: `${name}-store`,
    // Snapshots early, so an erasure has some to drop.
    SNAPSHOT_EVERY: "2",
  });
  producer = await startService("producer", { ...common, DATABASE_SCHEMA: storeSchema });
  projection = await startService("projection", {
    ...common,
    DATABASE_SCHEMA: projectionSchema,
    CONSUMER_GROUP: `${name}-projection`,
    EVENT_STORE_URL: store.url,
  });
});

afterAll(async () => {
  await Promise.all([producer?.kill(), store?.kill(), projection?.kill()]);
  await dropSchema(pool, storeSchema);
  await dropSchema(pool, projectionSchema);
  await pool.end();
  if (topics) await deleteTopics(topics);
});

describe("schema versions", () => {
  it("replays and rebuilds a store holding v1 and v2 customer events into the same read model", async () => {
    // v1, as the code before schema versions wrote it: a full name, no version column set.
    const old = `old-${randomUUID()}`;
    await pool.query(
      `INSERT INTO "${storeSchema}".streams (stream_id, aggregate_type, aggregate_id) VALUES ($1, 'Customer', $2)`,
      [`Customer-${old}`, old],
    );
    await pool.query(
      `INSERT INTO "${storeSchema}".events (event_id, stream_id, version, aggregate_type, aggregate_id, event_type, occurred_at, data, metadata)
       VALUES ($1, $2, 1, 'Customer', $3, 'CustomerCreated', now(), $4, '{"correlationId":"c","source":"old-code"}')`,
      [
        randomUUID(),
        `Customer-${old}`,
        old,
        JSON.stringify({ name: "Ada King Lovelace", email: "ada@example.com" }),
      ],
    );
    // The same customer written today, through the seed route's new fields.
    const now = `new-${randomUUID()}`;
    const created = await send("POST", "/customer", {
      customerId: now,
      givenName: "Ada",
      familyName: "King Lovelace",
      email: "ada@example.com",
    });
    expect(created.status).toBe(202);
    // And a v1 update of the old customer through the seed route's `name`, stored as v2.
    expect((await send("PUT", `/customer/${old}`, { name: "Ada Byron" })).status).toBe(202);
    expect((await send("PUT", `/customer/${now}`, { givenName: "Ada", familyName: "Byron" })).status).toBe(
      202,
    );
    await customerDoc(now, (d) => d.familyName === "Byron");

    const { rows } = await pool.query<{ schema_version: number }>(
      `SELECT schema_version FROM "${storeSchema}".events WHERE aggregate_id = $1 ORDER BY version`,
      [old],
    );
    expect(rows.map((r) => r.schema_version)).toEqual([1, 2]);
    const oldStream = await waitFor(async () => {
      const events = await streamOf(old);
      return events.length === 2 ? events : undefined;
    }, 30_000);
    expect(oldStream[0]).toMatchObject({
      schemaVersion: 2,
      data: { givenName: "Ada", familyName: "King Lovelace", email: "ada@example.com" },
    });
    const replayed = await fromStore(`/api/eventstore/replay/Customer/${old}`);
    expect(replayed.body.state).toMatchObject({ name: "Ada Byron", givenName: "Ada", familyName: "Byron" });

    await rebuild("customers");
    const [a, b] = await Promise.all([customerDoc(old, () => true), customerDoc(now, () => true)]);
    const comparable = (doc: Doc) => {
      const { customerId: _id, createdAt: _c, updatedAt: _u, activatedAt: _a, ...rest } = doc;
      return rest;
    };
    expect(comparable(a)).toEqual(comparable(b));
    expect(a).toMatchObject({
      name: "Ada Byron",
      givenName: "Ada",
      familyName: "Byron",
      email: "ada@example.com",
    });
  });
});

describe("each stored event's origin", () => {
  it("records the ingest topic, partition and offset it was consumed from", async () => {
    const id = `origin-${randomUUID()}`;
    const res = await send("POST", "/customer", {
      customerId: id,
      name: "Grace Hopper",
      email: "grace@example.com",
    });
    const eventId = res.body.eventId as string;
    const status = await waitFor(async () => {
      const s = await fromStore(`/api/eventstore/events/${eventId}`);
      return s.body.status === "committed" ? s.body : undefined;
    }, 30_000);
    expect(status.event.ingest).toEqual({
      topic: topics.ingest,
      partition: expect.any(Number),
      offset: expect.stringMatching(/^[0-9]+$/),
    });
    expect((await streamOf(id))[0]!.ingest).toEqual(status.event.ingest);
  });
});

describe("personal data erasure", () => {
  it("keeps personal fields sealed at rest and, after DELETE /customer, no byte of the e-mail anywhere", async () => {
    const id = `erase-${randomUUID()}`;
    const email = `${id}@example.com`;
    expect((await send("POST", "/customer", { customerId: id, name: "Alan Turing", email })).status).toBe(
      202,
    );
    expect((await send("PUT", `/customer/${id}`, { phone: "+44 20 7946 0000" })).status).toBe(202);
    expect((await send("POST", `/customer/${id}/email`, { email: `new-${email}` })).status).toBe(202);
    await customerDoc(id, (d) => d.email === `new-${email}`);
    // Served in the clear, stored sealed.
    const events = await streamOf(id);
    expect(events[0]!.data).toMatchObject({ givenName: "Alan", familyName: "Turing", email });
    expect(await occurrences(storeSchema, email)).toEqual([]);
    const snapshots = await pool.query(`SELECT 1 FROM "${storeSchema}".snapshots WHERE stream_id = $1`, [
      `Customer-${id}`,
    ]);
    expect(snapshots.rowCount).toBeGreaterThan(0);
    // A replay from the (sealed) snapshot opens it like the events.
    const fromSnapshot = await fromStore(`/api/eventstore/replay/Customer/${id}?strategy=snapshot`);
    expect(fromSnapshot.body.snapshotVersion).toBe(2);
    expect(fromSnapshot.body.state).toMatchObject({ email: `new-${email}`, phone: "+44 20 7946 0000" });

    expect((await send("DELETE", `/customer/${id}`)).status).toBe(202);
    const doc = await customerDoc(id, (d) => d.status === "Deleted");
    expect(doc).toMatchObject({ name: null, givenName: null, familyName: null, email: null, phone: null });
    const after = await streamOf(id);
    expect(after.map((e) => e.version)).toEqual([1, 2, 3, 4]);
    expect(after[0]!.data).toMatchObject({
      givenName: "[erased]",
      familyName: "[erased]",
      email: "[erased]",
    });
    expect(after[1]!.data).toEqual({ phone: "[erased]" });
    expect(await occurrences(storeSchema, email)).toEqual([]);
    expect(await occurrences(projectionSchema, email)).toEqual([]);
    expect(await occurrences(storeSchema, "Turing")).toEqual([]);

    // The stream keeps working, a full rebuild too.
    await rebuild("customers");
    expect(await customerDoc(id, (d) => d.status === "Deleted")).toMatchObject({ email: null, name: null });
    expect(await occurrences(projectionSchema, email)).toEqual([]);
    const replayed = await fromStore(`/api/eventstore/replay/Customer/${id}`);
    expect(replayed.status).toBe(200);
    expect(replayed.body.state).toMatchObject({ status: "Deleted", email: "[erased]" });
  });

  it("erases a live customer on the admin route, the erasure being an event of their stream", async () => {
    const id = `admin-${randomUUID()}`;
    const email = `${id}@example.com`;
    expect((await send("POST", "/customer", { customerId: id, givenName: "Ada", email })).status).toBe(202);
    await customerDoc(id, (d) => d.email === email);

    const bad = await request(`${store.url}/api/subjects/${id}/erase`, {
      method: "POST",
      body: { why: "x" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: "/why", reason: "is not allowed" }]);
    expect((await streamOf(id))[0]!.data).toMatchObject({ email });

    const res = await request(`${store.url}/api/subjects/${id}/erase`, {
      method: "POST",
      body: { reason: "right to erasure" },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ subjectId: id, keyDeleted: true });
    // The key is gone at once: reads show the fields erased before the event is even stored.
    expect((await streamOf(id))[0]!.data).toMatchObject({ givenName: "[erased]", email: "[erased]" });
    const doc = await customerDoc(id, (d) => d.email === null);
    expect(doc).toMatchObject({ status: "Active", givenName: null });
    const stream = await streamOf(id);
    expect(stream.at(-1)).toMatchObject({
      eventType: "CustomerErased",
      data: { reason: "right to erasure" },
    });
    expect(await occurrences(storeSchema, email)).toEqual([]);
    expect(await occurrences(projectionSchema, email)).toEqual([]);
    // The customer's stream goes on; what it says now is sealed with no key and reads erased.
    expect((await send("POST", `/customer/${id}/login`, { ipAddress: "192.0.2.7" })).status).toBe(202);
    await waitFor(async () => ((await streamOf(id)).length === 3 ? true : undefined), 30_000);
    expect((await streamOf(id))[2]!.data).toEqual({ ipAddress: "[erased]" });
    expect(await occurrences(storeSchema, "192.0.2.7")).toEqual([]);
  });
});
