// The SQL of the process manager: processes, their steps (the outbox), events received, timers
// and links. Every function runs inside the caller's transaction.
import type { PoolClient } from "@eventscope/platform";
import type { ProcessStatus } from "./sagas/index.ts";

export interface ProcessRow {
  id: string;
  type: string;
  status: ProcessStatus;
  stage: string;
  outcome: string | null;
  state: unknown;
  correlationId: string;
  traceparent: string | null;
  startedBy: string;
  completedAt: string | null;
}

export interface StepRow {
  eventId: string;
  processId: string;
  step: string;
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  envelope: Record<string, unknown>;
  causedBy: string | null;
  traceparent: string | null;
  /** Why the step is recorded refused instead of being sent (Command.skip), or null. */
  skipped: string | null;
}

const processColumns = `id, type, status, stage, outcome, state, correlation_id AS "correlationId",
  traceparent, started_by AS "startedBy", completed_at AS "completedAt"`;

/** The process, locked until the transaction ends (another partition touching it waits). */
export async function lockProcess(client: PoolClient, id: string): Promise<ProcessRow | undefined> {
  const { rows } = await client.query<ProcessRow>(
    `SELECT ${processColumns} FROM processes WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return rows[0];
}

export async function insertProcess(client: PoolClient, p: ProcessRow): Promise<void> {
  await client.query(
    `INSERT INTO processes (id, type, status, stage, outcome, state, correlation_id, traceparent, started_by, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      p.id,
      p.type,
      p.status,
      p.stage,
      p.outcome,
      JSON.stringify(p.state),
      p.correlationId,
      p.traceparent,
      p.startedBy,
      p.completedAt,
    ],
  );
}

export async function updateProcess(client: PoolClient, p: ProcessRow): Promise<void> {
  await client.query(
    `UPDATE processes SET status = $2, stage = $3, outcome = $4, state = $5, completed_at = $6, updated_at = now()
     WHERE id = $1`,
    [p.id, p.status, p.stage, p.outcome, JSON.stringify(p.state), p.completedAt],
  );
}

export async function linkedProcess(client: PoolClient, stream: string): Promise<string | undefined> {
  const { rows } = await client.query<{ process_id: string }>(
    "SELECT process_id FROM process_links WHERE stream_id = $1",
    [stream],
  );
  return rows[0]?.process_id;
}

export async function addLinks(client: PoolClient, processId: string, streams: string[]): Promise<void> {
  if (streams.length === 0) return;
  await client.query(
    `INSERT INTO process_links (stream_id, process_id) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`,
    [streams, processId],
  );
}

/** Records steps; a step decided before (same event id) is left as it is. */
export async function insertSteps(client: PoolClient, steps: StepRow[]): Promise<number> {
  if (steps.length === 0) return 0;
  const rows = steps.map((s) => ({
    event_id: s.eventId,
    process_id: s.processId,
    step: s.step,
    event_type: s.eventType,
    aggregate_type: s.aggregateType,
    aggregate_id: s.aggregateId,
    envelope: s.envelope,
    caused_by: s.causedBy,
    traceparent: s.traceparent,
    status: s.skipped === null ? "pending" : "refused",
    last_error: s.skipped === null ? null : `skipped: ${s.skipped}`,
  }));
  const result = await client.query(
    `INSERT INTO process_steps (event_id, process_id, step, event_type, aggregate_type, aggregate_id, envelope, caused_by,
                                traceparent, status, last_error)
     SELECT * FROM json_to_recordset($1::json) AS r(event_id uuid, process_id text, step text, event_type text,
       aggregate_type text, aggregate_id text, envelope jsonb, caused_by uuid, traceparent text, status text,
       last_error text)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
  return result.rowCount ?? 0;
}

export async function recordEvent(
  client: PoolClient,
  processId: string,
  event: { eventId: string; eventType: string; aggregateType: string; aggregateId: string; version: number },
): Promise<void> {
  await client.query(
    `INSERT INTO process_events (process_id, event_id, event_type, stream_id, version) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING`,
    [processId, event.eventId, event.eventType, `${event.aggregateType}/${event.aggregateId}`, event.version],
  );
}

export async function setTimers(
  client: PoolClient,
  processId: string,
  timers: Record<string, string>,
): Promise<void> {
  const names = Object.keys(timers);
  if (names.length === 0) return;
  await client.query(
    `INSERT INTO process_timers (process_id, name, due_at) SELECT $1, * FROM unnest($2::text[], $3::timestamptz[])
     ON CONFLICT (process_id, name) DO UPDATE SET due_at = EXCLUDED.due_at`,
    [processId, names, Object.values(timers)],
  );
}

export async function cancelTimers(client: PoolClient, processId: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await client.query("DELETE FROM process_timers WHERE process_id = $1 AND name = ANY($2)", [
    processId,
    names,
  ]);
}

/** Steps whose event has come back stored: with how long each took since it was decided. */
export async function markCommitted(
  client: PoolClient,
  eventIds: string[],
): Promise<{ processId: string; step: string; seconds: number }[]> {
  if (eventIds.length === 0) return [];
  const { rows } = await client.query<{ process_id: string; step: string; seconds: number }>(
    `UPDATE process_steps SET status = 'committed', committed_at = now()
     WHERE event_id = ANY($1::uuid[]) AND status <> 'committed'
     RETURNING process_id, step, extract(epoch FROM now() - created_at)::float8 AS seconds`,
    [eventIds],
  );
  return rows.map((r) => ({ processId: r.process_id, step: r.step, seconds: r.seconds }));
}

/** The step a rejected event was sent for, locked; undefined when it is not ours or known already. */
export async function lockRejectedStep(
  client: PoolClient,
  eventId: string,
): Promise<{ processId: string; step: string } | undefined> {
  const { rows } = await client.query<{ process_id: string; step: string }>(
    `SELECT process_id, step FROM process_steps WHERE event_id = $1 AND status IN ('pending', 'sent') FOR UPDATE`,
    [eventId],
  );
  const row = rows[0];
  return row && { processId: row.process_id, step: row.step };
}

export async function markRejected(client: PoolClient, eventId: string, reason: string): Promise<void> {
  await client.query(`UPDATE process_steps SET status = 'rejected', last_error = $2 WHERE event_id = $1`, [
    eventId,
    reason,
  ]);
}
