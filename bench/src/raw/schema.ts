// The raw pipeline's tables, in a schema of their own (dropped after the benchmark): the events
// as appended (a bigint identity key and the event's fields, nothing else), and a read model of
// one row per event whose `applied` counts how often it was applied (more than 1: a duplicate)
// and whose `applied_at` is the time the row was written, for accepted -> read model latency.
export const schemaSql = (schema: string) => `
CREATE SCHEMA ${schema};
CREATE TABLE ${schema}.raw_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id uuid NOT NULL,
  user_id text NOT NULL,
  event_type text NOT NULL,
  metadata jsonb NOT NULL,
  accepted_at_ms bigint NOT NULL
);
CREATE TABLE ${schema}.raw_activity (
  event_id uuid PRIMARY KEY,
  user_id text NOT NULL,
  event_type text NOT NULL,
  metadata jsonb NOT NULL,
  accepted_at_ms bigint NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  applied integer NOT NULL
);`;

/** One statement per batch: the whole batch appended by one multi-row INSERT. */
export const appendSql = (schema: string) =>
  `INSERT INTO ${schema}.raw_events (event_id, user_id, event_type, metadata, accepted_at_ms)
   SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::bigint[])`;

/** One statement per batch: every event of it upserted into the read model. */
export const upsertSql = (schema: string) =>
  `INSERT INTO ${schema}.raw_activity (event_id, user_id, event_type, metadata, accepted_at_ms, applied)
   SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::bigint[], $6::int[])
   ON CONFLICT (event_id) DO UPDATE
     SET applied = raw_activity.applied + excluded.applied, applied_at = clock_timestamp()`;

/** A schema name the benchmark made: nothing else is ever dropped. */
export const isRawSchema = (schema: string) => /^bench_raw_[a-z0-9]+$/.test(schema);

/** The event as every hop carries it (the ingest server's JSON on both topics). */
export interface RawEvent {
  eventId: string;
  userId: string;
  eventType: string;
  metadata: Record<string, unknown>;
  acceptedAt: number;
}

/** The columns of a batch, in the order of the unnest above. */
export function columnsOf(events: RawEvent[]): [string[], string[], string[], string[], number[]] {
  const ids: string[] = [];
  const users: string[] = [];
  const types: string[] = [];
  const metadata: string[] = [];
  const accepted: number[] = [];
  for (const e of events) {
    ids.push(e.eventId);
    users.push(e.userId);
    types.push(e.eventType);
    metadata.push(JSON.stringify(e.metadata));
    accepted.push(e.acceptedAt);
  }
  return [ids, users, types, metadata, accepted];
}
