// The raw pipeline's second process, consumer group 1: each batch of the ingest topic appended
// to raw_events by ONE multi-row INSERT (autocommit), then produced to the committed topic as it
// came (same key, same bytes), then its offsets committed.
import pg from "pg";
import { consumeInBatches, createProducer } from "./kafka.ts";
import { appendSql, columnsOf, type RawEvent } from "./schema.ts";
import { fromEnv, ready } from "./topology.ts";

async function main(): Promise<void> {
  const t = fromEnv();
  const db = new pg.Client({ connectionString: t.databaseUrl, application_name: "raw-store" });
  await db.connect();
  const producer = createProducer("raw-store", t.brokers);
  await producer.initIdempotentProducer({});
  const append = appendSql(t.schema);
  const loop = await consumeInBatches({
    clientId: "raw-store",
    brokers: t.brokers,
    groupId: t.storeGroup,
    topic: t.ingestTopic,
    async handle(messages) {
      const events = messages.map((m) => JSON.parse(m.value.toString("utf8")) as RawEvent);
      await db.query(append, columnsOf(events));
      await producer.send({
        messages: messages.map((m) => ({ topic: t.committedTopic, key: m.key, value: m.value })),
      });
    },
  });
  ready();
  process.on("SIGTERM", () => {
    void loop
      .close()
      .then(() => producer.close(true))
      .then(() => db.end())
      .finally(() => process.exit(0));
  });
}

if (import.meta.main) await main();
