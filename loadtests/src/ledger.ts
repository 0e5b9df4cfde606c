import pg from "pg";

/**
 * The ledger: after a run, every event the producer accepted (202, counted by the engine) must be in the
 * event store exactly once (or rejected with a reason) and reflected exactly once by the read
 * side. Events of a run are found by their aggregate ids (`load-<runId>-...`) among the positions
 * written since the run started.
 *
 *  - stored: rows of event_store.events of the run; duplicates: rows sharing an event id, and
 *    rows beyond what was accepted (minus requests that got no answer, which may have landed).
 *  - rejected: event_store.rejected_events of the run (answered 202, then refused by the aggregate
 *    with a reason: not lost, but reported).
 *  - projected: user activity has one row per event in projection.user_activity (checked by event
 *    id); the document read models record the stream version they applied per
 *    (projection, stream) in projection.projection_streams, which must equal the stream's version.
 */
export interface LedgerInput {
  databaseUrl: string;
  runId: string;
  /** event_store.events max(position) before the run (0 when unknown). */
  fromPosition: string;
  /** When the run started (rejections are looked up from here). */
  since: Date;
  /** The engine's count of 202 answers, and write requests with no answer at all. */
  accepted: number;
  unanswered: number;
}

export interface LedgerResult {
  runId: string;
  accepted: number;
  unanswered: number;
  stored: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  /** Accepted but neither stored nor rejected. */
  lost: number;
  /** Same event id stored more than once, or more events stored than accepted. */
  duplicated: number;
  /** Stored events the read side does not (yet) reflect. */
  notProjected: number;
  /** Read-side rows beyond the stored events (an event applied twice). */
  projectedTwice: number;
  projected: number;
  byAggregateType: Record<string, number>;
  ok: boolean;
  checkedAt: string;
}

export const runPrefix = (runId: string) => `load-${runId}-`;

const likePrefix = (runId: string) => runPrefix(runId).replace(/[\\%_]/g, (c) => `\\${c}`) + "%";

export async function storeHead(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ p: string | null }>(
      "SELECT max(position)::text AS p FROM event_store.events",
    );
    return r.rows[0]?.p ?? "0";
  } finally {
    await client.end();
  }
}

export async function checkLedger(input: LedgerInput): Promise<LedgerResult> {
  const client = new pg.Client({ connectionString: input.databaseUrl });
  await client.connect();
  const like = likePrefix(input.runId);
  try {
    const stored = await client.query<{ aggregate_type: string; n: string; ids: string }>(
      `SELECT aggregate_type, count(*)::text AS n, count(DISTINCT event_id)::text AS ids
         FROM event_store.events
        WHERE position > $1 AND aggregate_id LIKE $2
        GROUP BY aggregate_type`,
      [input.fromPosition, like],
    );
    const byAggregateType: Record<string, number> = {};
    let storedRows = 0;
    let storedIds = 0;
    for (const r of stored.rows) {
      byAggregateType[r.aggregate_type] = Number(r.n);
      storedRows += Number(r.n);
      storedIds += Number(r.ids);
    }
    const rejected = await client.query<{ code: string; n: string }>(
      `SELECT code, count(*)::text AS n FROM event_store.rejected_events
        WHERE rejected_at >= $1 AND aggregate_id LIKE $2 GROUP BY code`,
      [new Date(input.since.getTime() - 5000), like],
    );
    const rejectedByCode = Object.fromEntries(rejected.rows.map((r) => [r.code, Number(r.n)]));
    const rejectedCount = rejected.rows.reduce((s, r) => s + Number(r.n), 0);

    // User activity: one read-model row per event, matched by event id.
    const activity = await client.query<{ rows: string; ids: string; missing: string }>(
      `WITH s AS (
         SELECT event_id FROM event_store.events
          WHERE position > $1 AND aggregate_id LIKE $2 AND aggregate_type = 'User'),
       p AS (
         SELECT event_id FROM projection.user_activity WHERE position > $1 AND user_id LIKE $2)
       SELECT (SELECT count(*) FROM p)::text AS rows,
              (SELECT count(DISTINCT event_id) FROM p)::text AS ids,
              (SELECT count(*) FROM s WHERE NOT EXISTS (SELECT 1 FROM p WHERE p.event_id = s.event_id))::text AS missing`,
      [input.fromPosition, like],
    );
    const a = activity.rows[0]!;
    const userStored = byAggregateType.User ?? 0;
    const activityMissing = Number(a.missing);
    const activityTwice = Number(a.rows) - Number(a.ids) + Math.max(0, Number(a.ids) - userStored);

    // Document read models: the version each projection applied per stream vs the stream's.
    const docs = await client.query<{ missing: string; ahead: string; events: string }>(
      `WITH s AS (
         SELECT stream_id, max(version) AS version, count(*) AS events
           FROM event_store.events
          WHERE position > $1 AND aggregate_id LIKE $2 AND aggregate_type <> 'User'
          GROUP BY stream_id),
       p AS (
         SELECT s.stream_id, s.version, s.events, min(ps.version) AS applied, max(ps.version) AS top
           FROM s LEFT JOIN projection.projection_streams ps
             ON ps.stream_id = s.stream_id AND ps.projection <> 'user_activity'
          GROUP BY s.stream_id, s.version, s.events)
       SELECT coalesce(sum(CASE WHEN applied IS NULL THEN events
                                ELSE greatest(0, version - applied) END), 0)::text AS missing,
              coalesce(sum(greatest(0, coalesce(top, 0) - version)), 0)::text AS ahead,
              coalesce(sum(events), 0)::text AS events
         FROM p`,
      [input.fromPosition, like],
    );
    const d = docs.rows[0]!;
    const docMissing = Number(d.missing);
    const notProjected = activityMissing + docMissing;
    const projectedTwice = activityTwice + Number(d.ahead);

    const lost = Math.max(0, input.accepted - storedIds - rejectedCount);
    // More stored than accepted: duplicates, except for requests that timed out but did land.
    const extra = Math.max(0, storedIds + rejectedCount - input.accepted - input.unanswered);
    const duplicated = storedRows - storedIds + extra;
    const result: LedgerResult = {
      runId: input.runId,
      accepted: input.accepted,
      unanswered: input.unanswered,
      stored: storedRows,
      rejected: rejectedCount,
      rejectedByCode,
      lost,
      duplicated,
      notProjected,
      projectedTwice,
      projected: storedRows - notProjected,
      byAggregateType,
      ok: lost === 0 && duplicated === 0 && notProjected === 0 && projectedTwice === 0,
      checkedAt: new Date().toISOString(),
    };
    return result;
  } finally {
    await client.end();
  }
}
