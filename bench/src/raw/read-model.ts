// The raw pipeline's third process, consumer group 2: each batch of the committed topic upserted
// into the raw_activity read model by ONE multi-row INSERT ... ON CONFLICT DO UPDATE, then its
// offsets committed. An event seen twice (in one batch or across batches) adds to `applied`.
import pg from "pg";
import { consumeInBatches } from "./kafka.ts";
import { columnsOf, upsertSql, type RawEvent } from "./schema.ts";
import { fromEnv, ready } from "./topology.ts";

/** One row per event id (ON CONFLICT cannot touch a row twice in one statement), with its count. */
export function byEventId(events: RawEvent[]): { events: RawEvent[]; counts: number[] } {
  const index = new Map<string, number>();
  const out: RawEvent[] = [];
  const counts: number[] = [];
  for (const e of events) {
    const at = index.get(e.eventId);
    if (at === undefined) {
      index.set(e.eventId, out.length);
      out.push(e);
      counts.push(1);
    } else counts[at]!++;
  }
  return { events: out, counts };
}

async function main(): Promise<void> {
  const t = fromEnv();
  const db = new pg.Client({ connectionString: t.databaseUrl, application_name: "raw-read-model" });
  await db.connect();
  const upsert = upsertSql(t.schema);
  const loop = await consumeInBatches({
    clientId: "raw-read-model",
    brokers: t.brokers,
    groupId: t.readGroup,
    topic: t.committedTopic,
    async handle(messages) {
      const { events, counts } = byEventId(
        messages.map((m) => JSON.parse(m.value.toString("utf8")) as RawEvent),
      );
      await db.query(upsert, [...columnsOf(events), counts]);
    },
  });
  ready();
  process.on("SIGTERM", () => {
    void loop
      .close()
      .then(() => db.end())
      .finally(() => process.exit(0));
  });
}

if (import.meta.main) await main();
