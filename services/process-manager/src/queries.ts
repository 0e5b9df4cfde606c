// What GET /api/processes answers: a process with its steps (event ids and times), the events
// it received and its next timer; lists by type and status; and the steps an event caused.
import type { Pool } from "@eventscope/platform";

const summary = `id, type, status, stage, outcome, correlation_id AS "correlationId", started_by AS "startedBy",
  started_at AS "startedAt", updated_at AS "updatedAt", completed_at AS "completedAt"`;

export async function getProcess(pool: Pool, id: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await pool.query(`SELECT ${summary}, state FROM processes WHERE id = $1`, [id]);
  const process = rows[0] as Record<string, unknown> | undefined;
  if (!process) return undefined;
  const [steps, events, timers] = await Promise.all([
    pool.query(
      `SELECT step, event_id AS "eventId", event_type AS "eventType", aggregate_type AS "aggregateType",
              aggregate_id AS "aggregateId", status, caused_by AS "causedBy", attempts, last_error AS "lastError",
              created_at AS "decidedAt", sent_at AS "sentAt", committed_at AS "committedAt"
       FROM process_steps WHERE process_id = $1 ORDER BY seq`,
      [id],
    ),
    pool.query(
      `SELECT event_id AS "eventId", event_type AS "eventType", stream_id AS "streamId", version,
              received_at AS "receivedAt"
       FROM process_events WHERE process_id = $1 ORDER BY received_at, version`,
      [id],
    ),
    pool.query(`SELECT name, due_at AS "dueAt" FROM process_timers WHERE process_id = $1 ORDER BY due_at`, [
      id,
    ]),
  ]);
  return {
    ...process,
    steps: steps.rows,
    events: events.rows,
    nextTimer: timers.rows[0] ?? null,
    timers: timers.rows,
  };
}

export async function listProcesses(
  pool: Pool,
  filters: { type?: string; status?: string },
  page: { limit: number; offset: number },
): Promise<{ count: number; processes: unknown[] }> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filters.type) where.push(`type = $${values.push(filters.type)}`);
  if (filters.status) where.push(`status = $${values.push(filters.status)}`);
  const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  const [count, rows] = await Promise.all([
    pool.query<{ n: string }>(`SELECT count(*) AS n FROM processes ${clause}`, values),
    pool.query(
      `SELECT ${summary}, (SELECT min(due_at) FROM process_timers t WHERE t.process_id = p.id) AS "nextTimerAt"
       FROM processes p ${clause} ORDER BY updated_at DESC, id LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      [...values, page.limit, page.offset],
    ),
  ]);
  return { count: Number(count.rows[0]!.n), processes: rows.rows };
}

/**
 * Steps by the event that caused them (`causedBy`) or by the event a step is (`eventId`), each
 * with its process: what an event set going, or which process sent it.
 */
export async function findSteps(
  pool: Pool,
  filter: { causedBy?: string; eventId?: string },
  limit: number,
): Promise<{ count: number; steps: unknown[] }> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.causedBy) where.push(`s.caused_by = $${values.push(filter.causedBy)}`);
  if (filter.eventId) where.push(`s.event_id = $${values.push(filter.eventId)}`);
  const { rows } = await pool.query(
    `SELECT s.process_id AS "processId", p.type AS "processType", p.status AS "processStatus",
            p.stage AS "processStage", s.step, s.event_id AS "eventId", s.event_type AS "eventType",
            s.aggregate_type AS "aggregateType", s.aggregate_id AS "aggregateId", s.status,
            s.caused_by AS "causedBy", s.attempts, s.last_error AS "lastError", s.created_at AS "decidedAt",
            s.sent_at AS "sentAt", s.committed_at AS "committedAt"
     FROM process_steps s JOIN processes p ON p.id = s.process_id
     WHERE ${where.join(" AND ")} ORDER BY s.seq LIMIT $${values.push(limit)}`,
    values,
  );
  return { count: rows.length, steps: rows };
}

/** Processes not yet at an end, per type (the processes_active gauge). */
export async function activeByType(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ type: string; n: string }>(
    "SELECT type, count(*) AS n FROM processes WHERE status IN ('active', 'compensating') GROUP BY type",
  );
  return new Map(rows.map((r) => [r.type, Number(r.n)]));
}
