import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { fromKafkaRecord, toKafkaRecord, type EventEnvelope } from "@eventscope/contracts";
import type { TopicNames } from "@eventscope/platform";
import {
  brokers,
  createTopics,
  deleteTopics,
  dropSchema,
  kafkaAdmin,
  request,
  startService,
  testPool,
  uniqueName,
  waitFor,
  type RunningProcess,
} from "@eventscope/testkit";

// Guarantee 2 across a crash: the event store is killed (SIGKILL, from its own crash point)
// after an append committed and before it was published, while events keep arriving. After the
// restart, events.committed must still carry each stream's versions 1..n in order, and the read
// model every event exactly once.
const name = uniqueName("crashorder");
const storeSchema = `${name}_store`;
const projectionSchema = `${name}_projection`;
const USERS = 20;
const WAVES = 15;
const PER_WAVE = 3;
let topics: TopicNames;
let store: RunningProcess;
let projection: RunningProcess;
const pool = testPool();
const storeEnv: Record<string, string> = {
  TOPIC_PREFIX: `${name}.`,
  LOG_LEVEL: "warn",
  DATABASE_SCHEMA: storeSchema,
  CONSUMER_GROUP: `${name}-store`,
  EVENT_STORE_FAULT: "crash-after-append:2",
};

const kafka = new kafkajs.Kafka({
  clientId: "crash-order-test",
  brokers,
  logLevel: kafkajs.logLevel.NOTHING,
});

const activity = (userId: string, i: number): EventEnvelope => {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    eventType: "tick",
    aggregateType: "User",
    aggregateId: userId,
    timestamp: now,
    data: { i },
    metadata: { correlationId: randomUUID(), source: "crash-order-test", userId, acceptedAt: now },
  };
};

/** Every record of a topic, per key, in partition order (a key lives on one partition). */
async function readTopic(topic: string): Promise<Map<string, { version: number; eventId: string }[]>> {
  const admin = kafkaAdmin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.map((o) => [o.partition, Number(o.high)]));
  const consumer = kafka.consumer({ groupId: `${name}-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const byKey = new Map<string, { version: number; eventId: string }[]>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const check = () => [...remaining.values()].every((high) => high <= 0) && done();
  check();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const event = fromKafkaRecord(message);
      const list = byKey.get(event.aggregateId) ?? [];
      list.push({ version: event.version!, eventId: event.eventId });
      byKey.set(event.aggregateId, list);
      if (Number(message.offset) + 1 >= remaining.get(partition)!) remaining.set(partition, 0);
      check();
    },
  });
  await finished;
  await consumer.disconnect();
  return byKey;
}

beforeAll(async () => {
  topics = await createTopics(`${name}.`);
  store = await startService("event-store", storeEnv);
  projection = await startService("projection", {
    TOPIC_PREFIX: `${name}.`,
    LOG_LEVEL: "warn",
    DATABASE_SCHEMA: projectionSchema,
    CONSUMER_GROUP: `${name}-projection`,
    EVENT_STORE_URL: store.url,
  });
});

afterAll(async () => {
  await Promise.all([store?.kill(), projection?.kill()]);
  await dropSchema(pool, storeSchema);
  await dropSchema(pool, projectionSchema);
  await pool.end();
  await deleteTopics(topics);
});

describe("order across a crash of the event store", () => {
  it("republishes what was stored but not published in stream order, and the read model misses nothing", async () => {
    const users = Array.from({ length: USERS }, (_, i) => `${name}-u${i}`);
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    let crashed = false;
    const down = (async () => {
      await waitFor(
        async () => {
          try {
            await fetch(`${store.url}/health/live`);
            return false;
          } catch {
            return true;
          }
        },
        60_000,
        "the event store to crash at its crash point",
      );
      crashed = true;
    })();
    // Waves of events while the store runs, crashes and is down: the batches it decides after the
    // restart mix what it stored before the crash with events it has never seen.
    for (let wave = 0; wave < WAVES; wave++) {
      await producer.send({
        topic: topics.ingest,
        acks: -1,
        messages: users.flatMap((u) =>
          Array.from({ length: PER_WAVE }, (_, k) => toKafkaRecord(activity(u, wave * PER_WAVE + k))),
        ),
      });
      await new Promise((r) => setTimeout(r, 150));
    }
    await producer.disconnect();
    await down;
    expect(crashed).toBe(true);
    delete storeEnv.EVENT_STORE_FAULT;
    await store.restart();

    const total = USERS * WAVES * PER_WAVE;
    await waitFor(
      async () =>
        (await pool.query(`SELECT count(*)::int AS n FROM "${storeSchema}".events`)).rows[0].n === total,
      60_000,
      `${total} events stored`,
    );
    // The projection has applied everything the store published.
    await waitFor(
      async () => {
        const res = await request(`${projection.url}/api/projections`);
        const list = res.body.projections as { consumerLag: number | null }[];
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n FROM "${projectionSchema}".user_activity WHERE user_id = ANY($1)`,
          [users],
        );
        return list.length > 0 && list.every((p) => p.consumerLag === 0) && rows[0].n >= total;
      },
      30_000,
      "the projection to catch up",
    ).catch(() => undefined);

    const committed = await readTopic(topics.committed);
    const perStream = WAVES * PER_WAVE;
    for (const user of users) {
      const seen = committed.get(user) ?? [];
      // In order: each record is a version already published (a republish) or the next one.
      let highest = 0;
      const outOfOrder: number[] = [];
      for (const { version } of seen) {
        if (version > highest + 1) outOfOrder.push(version);
        highest = Math.max(highest, version);
      }
      const firsts = [...new Set(seen.map((s) => s.version))];
      expect({ user, outOfOrder, firsts }).toEqual({
        user,
        outOfOrder: [],
        firsts: Array.from({ length: perStream }, (_, i) => i + 1),
      });
    }
    const { rows } = await pool.query(
      `SELECT user_id, count(*)::int AS n, count(DISTINCT event_id)::int AS d
       FROM "${projectionSchema}".user_activity WHERE user_id = ANY($1) GROUP BY user_id ORDER BY user_id`,
      [users],
    );
    expect(rows).toEqual(users.toSorted().map((u) => ({ user_id: u, n: perStream, d: perStream })));
    const parked = await request(`${projection.url}/api/projection/dead-letters`);
    expect(parked.body.count).toBe(0);
  }, 150_000);
});
