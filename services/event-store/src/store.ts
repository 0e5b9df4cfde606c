import type { CommittedEvent, EventEnvelope } from "@eventscope/contracts";
import type { Pool, PoolClient } from "@eventscope/platform";

export const streamIdOf = (aggregateType: string, aggregateId: string): string =>
  `${aggregateType}-${aggregateId}`;

export interface NewEvent {
  envelope: EventEnvelope;
  streamId: string;
  version: number;
}

export interface Rejection {
  envelope: EventEnvelope;
  streamId: string;
  code: string;
  reason: string;
}

export interface StreamHead {
  streamId: string;
  aggregateType: string;
  aggregateId: string;
  version: number;
}

export interface Snapshot {
  streamId: string;
  version: number;
  state: unknown;
}

export interface AppendBatch {
  events: NewEvent[];
  rejections: Rejection[];
  snapshots: Snapshot[];
  heads: StreamHead[];
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
}

export const EVENT_COLUMNS =
  "position, event_id, stream_id, version, aggregate_type, aggregate_id, event_type, occurred_at, stored_at, data, metadata";

export const toCommitted = (row: EventRow): CommittedEvent => ({
  eventId: row.event_id,
  eventType: row.event_type,
  aggregateId: row.aggregate_id,
  aggregateType: row.aggregate_type,
  timestamp: row.occurred_at.toISOString(),
  version: row.version,
  position: row.position,
  storedAt: row.stored_at.toISOString(),
  data: row.data,
  metadata: row.metadata,
});

/**
 * Appends one batch in one transaction: a multi-row insert (unnest) of the accepted events,
 * the new stream heads, snapshots and rejections. The unique (stream_id, version) constraint
 * is the optimistic concurrency check: a stale in-memory head makes the whole batch fail.
 */
export async function appendBatch(client: PoolClient, batch: AppendBatch): Promise<CommittedEvent[]> {
  const committed: CommittedEvent[] = [];
  if (batch.events.length > 0) {
    const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
    for (const { envelope: e, streamId, version } of batch.events) {
      cols[0]!.push(e.eventId);
      cols[1]!.push(streamId);
      cols[2]!.push(version);
      cols[3]!.push(e.aggregateType);
      cols[4]!.push(e.aggregateId);
      cols[5]!.push(e.eventType);
      cols[6]!.push(e.timestamp);
      cols[7]!.push(JSON.stringify(e.data));
      cols[8]!.push(JSON.stringify(e.metadata));
    }
    const { rows } = await client.query<{ position: string; event_id: string; stored_at: Date }>(
      `INSERT INTO events (event_id, stream_id, version, aggregate_type, aggregate_id, event_type, occurred_at, data, metadata)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::jsonb[], $9::jsonb[])
       RETURNING position, event_id, stored_at`,
      cols,
    );
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    for (const { envelope, version } of batch.events) {
      const row = byId.get(envelope.eventId)!;
      committed.push({ ...envelope, version, position: row.position, storedAt: row.stored_at.toISOString() });
    }
    await client.query(
      `INSERT INTO streams (stream_id, aggregate_type, aggregate_id, version)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[])
       ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
      [
        batch.heads.map((h) => h.streamId),
        batch.heads.map((h) => h.aggregateType),
        batch.heads.map((h) => h.aggregateId),
        batch.heads.map((h) => h.version),
      ],
    );
  }
  if (batch.snapshots.length > 0) {
    await client.query(
      `INSERT INTO snapshots (stream_id, version, state)
       SELECT * FROM unnest($1::text[], $2::int[], $3::jsonb[]) ON CONFLICT DO NOTHING`,
      [
        batch.snapshots.map((s) => s.streamId),
        batch.snapshots.map((s) => s.version),
        batch.snapshots.map((s) => JSON.stringify(s.state)),
      ],
    );
  }
  if (batch.rejections.length > 0) {
    const r = batch.rejections;
    await client.query(
      `INSERT INTO rejected_events (event_id, stream_id, aggregate_type, aggregate_id, event_type, code, reason, envelope)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
       ON CONFLICT (event_id) DO NOTHING`,
      [
        r.map((x) => x.envelope.eventId),
        r.map((x) => x.streamId),
        r.map((x) => x.envelope.aggregateType),
        r.map((x) => x.envelope.aggregateId),
        r.map((x) => x.envelope.eventType),
        r.map((x) => x.code),
        r.map((x) => x.reason),
        r.map((x) => JSON.stringify(x.envelope)),
      ],
    );
  }
  return committed;
}

export interface KnownOutcome {
  committed?: CommittedEvent;
  rejected?: { code: string; reason: string; envelope: EventEnvelope; rejectedAt: string };
}

/** Events of a batch the store has already decided (a redelivery): stored or rejected. */
export async function findDecided(
  pool: Pool | PoolClient,
  eventIds: string[],
): Promise<Map<string, KnownOutcome>> {
  const out = new Map<string, KnownOutcome>();
  if (eventIds.length === 0) return out;
  const stored = await pool.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE event_id = ANY($1::uuid[])`,
    [eventIds],
  );
  for (const row of stored.rows) out.set(row.event_id, { committed: toCommitted(row) });
  const rejected = await pool.query<{
    event_id: string;
    code: string;
    reason: string;
    envelope: EventEnvelope;
    rejected_at: Date;
  }>(
    `SELECT event_id, code, reason, envelope, rejected_at FROM rejected_events WHERE event_id = ANY($1::uuid[])`,
    [eventIds],
  );
  for (const row of rejected.rows) {
    out.set(row.event_id, {
      rejected: {
        code: row.code,
        reason: row.reason,
        envelope: row.envelope,
        rejectedAt: row.rejected_at.toISOString(),
      },
    });
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
  const snaps = await pool.query<{ stream_id: string; version: number; state: unknown }>(
    `SELECT DISTINCT ON (stream_id) stream_id, version, state FROM snapshots
     WHERE stream_id = ANY($1::text[]) AND version <= $2 ORDER BY stream_id, version DESC`,
    [streamIds, maxVersion],
  );
  for (const s of snaps.rows)
    snapshots.set(s.stream_id, { streamId: s.stream_id, version: s.version, state: s.state });
  const rows = await pool.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events e
     WHERE e.stream_id = ANY($1::text[]) AND e.version <= $2
       AND e.version > COALESCE((SELECT max(s.version) FROM snapshots s WHERE s.stream_id = e.stream_id AND s.version <= $2), 0)
     ORDER BY e.stream_id, e.version`,
    [streamIds, maxVersion],
  );
  for (const row of rows.rows) {
    const list = events.get(row.stream_id) ?? [];
    list.push(toCommitted(row));
    events.set(row.stream_id, list);
  }
  return { snapshots, events };
}
