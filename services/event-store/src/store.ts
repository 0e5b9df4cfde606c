import {
  domainForAggregateType,
  upcast,
  type CommittedEvent,
  type EventEnvelope,
  type IngestOrigin,
} from "@eventscope/contracts";
import type { Pool, PoolClient } from "@eventscope/platform";
import type { AppendBatch, Snapshot } from "./decide.ts";
import { openPersonalData, openPersonalState, withholdPersonalData } from "./subject-keys.ts";

export type { AppendBatch, NewEvent, Rejection, Snapshot } from "./decide.ts";

interface StreamStart {
  streamId: string;
  aggregateType: string;
  aggregateId: string;
}

interface EventRow {
  position: string;
  event_id: string;
  stream_id: string;
  version: number;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  occurred_at: Date;
  stored_at: Date;
  data: Record<string, unknown>;
  metadata: EventEnvelope["metadata"];
  schema_version: number;
  ingest_topic: string | null;
  ingest_partition: number | null;
  ingest_offset: string | null;
  pii_subject: string | null;
  /** The subject's wrapped key as the row's statement found it: null once erased. */
  pii_key: string | null;
}

// The subject's key is read with the row (unqualified pii_subject is the event's column), so an
// erasure holds for every read from the moment its key row is gone.
export const EVENT_COLUMNS =
  "position, event_id, stream_id, version, aggregate_type, aggregate_id, event_type, occurred_at, stored_at, data, metadata, " +
  "schema_version, ingest_topic, ingest_partition, ingest_offset, pii_subject, " +
  "(SELECT k.wrapped_key FROM subject_keys k WHERE k.subject_id = pii_subject) AS pii_key";

/**
 * The one mapping of a stored row to the event every reader gets: personal fields opened (or
 * "[erased]"), then upcast from the schema version it was written in to the current one.
 */
export function toCommitted(row: EventRow): CommittedEvent {
  const event: CommittedEvent = {
    eventId: row.event_id,
    eventType: row.event_type,
    aggregateId: row.aggregate_id,
    aggregateType: row.aggregate_type,
    timestamp: row.occurred_at.toISOString(),
    version: row.version,
    schemaVersion: row.schema_version,
    position: row.position,
    storedAt: row.stored_at.toISOString(),
    data:
      row.pii_subject === null
        ? row.data
        : openPersonalData(
            { eventType: row.event_type, aggregateId: row.aggregate_id, data: row.data },
            row.pii_subject,
            row.pii_key,
          ),
    metadata: row.metadata,
  };
  if (row.ingest_topic !== null) {
    event.ingest = {
      topic: row.ingest_topic,
      partition: row.ingest_partition!,
      offset: String(row.ingest_offset),
    };
  }
  return upcast(event);
}

/** What the write path adds to a decided batch before it is stored. */
export interface StoredForms {
  /** By event id: the data as stored (personal fields sealed) and the subject whose key sealed it. */
  sealed?: Map<string, { data: Record<string, unknown>; subject: string | null }>;
  /** By stream id: a snapshot's state as stored (personal state fields sealed) and its subject. */
  snapshotSubjects?: Map<string, { subject: string; state: unknown }>;
  /** By event id: the events.ingest record it was consumed from. */
  origins?: Map<string, IngestOrigin>;
  /** Subjects erased by events of this batch (their keys go) and their streams (their snapshots go). */
  erased?: { subjects: string[]; streams: string[] };
}

const EMPTY: string[] = [];

/**
 * Appends one batch in ONE statement (so one round trip and one implicit transaction): a
 * multi-row insert (unnest) of the accepted events, the streams that start in this batch,
 * snapshots and rejections, as data-modifying CTEs. The unique (stream_id, version) index is the
 * optimistic concurrency check: a stale in-memory head makes the whole statement fail.
 */
export async function appendBatch(
  db: Pool | PoolClient,
  batch: AppendBatch,
  forms: StoredForms = {},
): Promise<CommittedEvent[]> {
  const n = batch.events.length;
  const ids = new Array<string>(n);
  const streams = new Array<string>(n);
  const versions = new Array<number>(n);
  const aggregateTypes = new Array<string>(n);
  const aggregateIds = new Array<string>(n);
  const types = new Array<string>(n);
  const times = new Array<string>(n);
  const data = new Array<string>(n);
  const metadata = new Array<string>(n);
  const schemaVersions = new Array<number>(n);
  const topics = new Array<string | null>(n);
  const partitions = new Array<number | null>(n);
  const offsets = new Array<string | null>(n);
  const subjects = new Array<string | null>(n);
  const started: StreamStart[] = [];
  for (let i = 0; i < n; i++) {
    const { envelope: e, streamId, version } = batch.events[i]!;
    ids[i] = e.eventId;
    streams[i] = streamId;
    versions[i] = version;
    aggregateTypes[i] = e.aggregateType;
    aggregateIds[i] = e.aggregateId;
    types[i] = e.eventType;
    times[i] = e.timestamp;
    const sealed = forms.sealed?.get(e.eventId);
    data[i] = JSON.stringify(sealed ? sealed.data : e.data);
    subjects[i] = sealed?.subject ?? null;
    metadata[i] = JSON.stringify(e.metadata);
    schemaVersions[i] = e.schemaVersion ?? 1;
    const origin = forms.origins?.get(e.eventId);
    topics[i] = origin?.topic ?? null;
    partitions[i] = origin?.partition ?? null;
    offsets[i] = origin?.offset ?? null;
    if (version === 1) started.push({ streamId, aggregateType: e.aggregateType, aggregateId: e.aggregateId });
  }
  const r = batch.rejections;
  // A named statement: prepared once per connection, so the server does not plan its eight
  // parts again for every batch.
  const { rows } = await db.query<{ position: string; event_id: string; stored_at: Date }>({
    name: "event-store-append-batch",
    text: `WITH appended AS (
       INSERT INTO events (event_id, stream_id, version, aggregate_type, aggregate_id, event_type, occurred_at, data, metadata,
                           schema_version, ingest_topic, ingest_partition, ingest_offset, pii_subject)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::jsonb[], $9::jsonb[],
                            $24::int[], $25::text[], $26::int[], $27::bigint[], $28::text[])
       RETURNING position, event_id, stored_at
     ), registered AS (
       INSERT INTO streams (stream_id, aggregate_type, aggregate_id)
       SELECT * FROM unnest($10::text[], $11::text[], $12::text[]) ON CONFLICT (stream_id) DO NOTHING
     ), snapshotted AS (
       INSERT INTO snapshots (stream_id, version, state, pii_subject)
       SELECT * FROM unnest($13::text[], $14::int[], $15::jsonb[], $31::text[]) ON CONFLICT DO NOTHING
     ), rejected AS (
       INSERT INTO rejected_events (event_id, stream_id, aggregate_type, aggregate_id, event_type, code, reason, envelope)
       SELECT * FROM unnest($16::uuid[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::jsonb[])
       ON CONFLICT (event_id) DO NOTHING
     ), erased AS (
       DELETE FROM subject_keys WHERE subject_id = ANY($29::text[])
     ), erased_recorded AS (
       INSERT INTO erased_subjects (subject_id) SELECT unnest($29::text[]) ON CONFLICT DO NOTHING
     ), unsnapshotted AS (
       DELETE FROM snapshots WHERE stream_id = ANY($30::text[])
     )
     SELECT position, event_id, stored_at FROM appended`,
    values: [
      ids,
      streams,
      versions,
      aggregateTypes,
      aggregateIds,
      types,
      times,
      data,
      metadata,
      started.map((h) => h.streamId),
      started.map((h) => h.aggregateType),
      started.map((h) => h.aggregateId),
      batch.snapshots.map((x) => x.streamId),
      batch.snapshots.map((x) => x.version),
      batch.snapshots.map((x) => JSON.stringify(forms.snapshotSubjects?.get(x.streamId)?.state ?? x.state)),
      r.length === 0 ? EMPTY : r.map((x) => x.envelope.eventId),
      r.map((x) => x.streamId),
      r.map((x) => x.envelope.aggregateType),
      r.map((x) => x.envelope.aggregateId),
      r.map((x) => x.envelope.eventType),
      r.map((x) => x.code),
      r.map((x) => x.reason),
      r.map((x) => JSON.stringify(withholdPersonalData(x.envelope))),
      schemaVersions,
      topics,
      partitions,
      offsets,
      subjects,
      forms.erased?.subjects ?? EMPTY,
      forms.erased?.streams ?? EMPTY,
      batch.snapshots.map((x) => forms.snapshotSubjects?.get(x.streamId)?.subject ?? null),
    ],
  });
  const byId = new Map<string, { position: string; stored_at: Date }>();
  for (const row of rows) byId.set(row.event_id, row);
  const committed = new Array<CommittedEvent>(n);
  for (let i = 0; i < n; i++) {
    const { envelope, version } = batch.events[i]!;
    const row = byId.get(envelope.eventId)!;
    committed[i] = { ...envelope, version, position: row.position, storedAt: row.stored_at.toISOString() };
    const origin = forms.origins?.get(envelope.eventId);
    if (origin) committed[i]!.ingest = origin;
  }
  return committed;
}

export interface KnownOutcome {
  committed?: CommittedEvent;
  rejected?: { code: string; reason: string; envelope: EventEnvelope; rejectedAt: string };
}

/** Events of a batch the store has already decided (a redelivery): stored or rejected. One query. */
export async function findDecided(
  pool: Pool | PoolClient,
  eventIds: string[],
): Promise<Map<string, KnownOutcome>> {
  const out = new Map<string, KnownOutcome>();
  if (eventIds.length === 0) return out;
  const { rows } = await pool.query<
    EventRow & { kind: string; code: string; reason: string; envelope: EventEnvelope }
  >({
    name: "event-store-find-decided",
    text: `SELECT 'committed' AS kind, ${EVENT_COLUMNS}, NULL AS code, NULL AS reason, NULL::jsonb AS envelope
       FROM events WHERE event_id = ANY($1::uuid[])
     UNION ALL
     SELECT 'rejected', NULL, event_id, stream_id, NULL, aggregate_type, aggregate_id, event_type, NULL, rejected_at, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, code, reason, envelope
       FROM rejected_events WHERE event_id = ANY($1::uuid[])`,
    values: [eventIds],
  });
  for (const row of rows) {
    if (row.kind === "committed") out.set(row.event_id, { committed: toCommitted(row) });
    else {
      out.set(row.event_id, {
        rejected: {
          code: row.code,
          reason: row.reason,
          envelope: row.envelope,
          rejectedAt: row.stored_at.toISOString(),
        },
      });
    }
  }
  return out;
}

/** The latest snapshot of each stream (at or below `maxVersion`) and the events after it. */
export async function loadStreamTails(
  pool: Pool | PoolClient,
  streamIds: string[],
  maxVersion = 2_147_483_647,
): Promise<{ snapshots: Map<string, Snapshot>; events: Map<string, CommittedEvent[]> }> {
  const snapshots = new Map<string, Snapshot>();
  const events = new Map<string, CommittedEvent[]>();
  if (streamIds.length === 0) return { snapshots, events };
  const snaps = await pool.query<{
    stream_id: string;
    version: number;
    state: unknown;
    pii_subject: string | null;
    pii_key: string | null;
    aggregate_type: string | null;
  }>({
    name: "event-store-stream-snapshots",
    text: `SELECT DISTINCT ON (stream_id) stream_id, version, state, pii_subject,
            (SELECT k.wrapped_key FROM subject_keys k WHERE k.subject_id = pii_subject) AS pii_key,
            (SELECT st.aggregate_type FROM streams st WHERE st.stream_id = snapshots.stream_id) AS aggregate_type
     FROM snapshots
     WHERE stream_id = ANY($1::text[]) AND version <= $2 ORDER BY stream_id, version DESC`,
    values: [streamIds, maxVersion],
  });
  for (const s of snaps.rows) {
    const fields = s.aggregate_type
      ? domainForAggregateType(s.aggregate_type)?.personalData?.stateFields
      : undefined;
    const state =
      s.pii_subject !== null && fields
        ? openPersonalState(s.state, fields, s.pii_subject, s.pii_key)
        : s.state;
    snapshots.set(s.stream_id, { streamId: s.stream_id, version: s.version, state });
  }
  const rows = await pool.query<EventRow>({
    name: "event-store-stream-tails",
    text: `SELECT ${EVENT_COLUMNS} FROM events e
     WHERE e.stream_id = ANY($1::text[]) AND e.version <= $2
       AND e.version > COALESCE((SELECT max(s.version) FROM snapshots s WHERE s.stream_id = e.stream_id AND s.version <= $2), 0)
     ORDER BY e.stream_id, e.version`,
    values: [streamIds, maxVersion],
  });
  for (const row of rows.rows) {
    const list = events.get(row.stream_id) ?? [];
    list.push(toCommitted(row));
    events.set(row.stream_id, list);
  }
  return { snapshots, events };
}
