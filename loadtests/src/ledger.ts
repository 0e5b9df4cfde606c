import pg from "pg";
import { percentile, max as maxOf } from "./stats.ts";

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
 *  - the process manager: a checkout makes an order (and the process manager its payment) under
 *    ids the producer generates, so the run's Order streams are found through its CartCheckedOut
 *    events and its Payment streams through those orders' PaymentInitiated. Events the process
 *    manager sent (metadata.source "process-manager") were never accepted by the engine: they
 *    are counted apart (`processManager`), not as duplicates; they are held to the projection
 *    check like the others.
 *  - orders (when a process manager is named, the checkout scenario): every order of the run has
 *    reached a final state, in the process manager (GET /api/processes/order:<id>: completed or
 *    cancelled) and in the order read model (Confirmed or Cancelled, the same), and a cancelled
 *    order holds no stock any more (no reservation of it left in the inventory read model).
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
  /** The process manager whose order processes must all be final (null: not checked). */
  processManagerUrl?: string | null;
  apiKey?: string;
}

/** Every order of the run followed to its end. */
export interface OrderCheck {
  /** Orders made by the run's checkouts. */
  orders: number;
  confirmed: number;
  cancelled: number;
  /** Orders not final in the process manager or in the read model (or the two disagree). */
  notFinal: number;
  /** Cancelled orders whose units are still reserved in the inventory read model. */
  stockHeld: number;
  /** Process outcomes (confirmed, payment-failed, out-of-stock, ...). */
  byOutcome: Record<string, number>;
  /** The process manager's own clock: process started (OrderCreated) -> completed or cancelled. */
  timeToFinalMs: { p50: number | null; p95: number | null; max: number | null };
  /** Up to ten orders not final, or holding stock, with what was found. */
  examples: string[];
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
  /** Events of the run's streams the process manager sent (stored, and refused with a reason). */
  processManager: { stored: number; rejected: number; byEventType: Record<string, number> };
  /** The orders' final states (null when no process manager was named). */
  orders: OrderCheck | null;
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

const fromProcessManager = `coalesce(metadata->>'source', '') = 'process-manager'`;

export async function checkLedger(input: LedgerInput): Promise<LedgerResult> {
  const client = new pg.Client({ connectionString: input.databaseUrl });
  await client.connect();
  const like = likePrefix(input.runId);
  try {
    // The run's orders (made by its checkouts) and the payments initiated for them.
    const orderRows = await client.query<{ id: string }>(
      `SELECT DISTINCT data->>'orderId' AS id FROM event_store.events
        WHERE position > $1 AND aggregate_type = 'Cart' AND event_type = 'CartCheckedOut'
          AND aggregate_id LIKE $2 AND data ? 'orderId'`,
      [input.fromPosition, like],
    );
    const orders = orderRows.rows.map((r) => r.id);
    const paymentRows = await client.query<{ id: string }>(
      `SELECT DISTINCT aggregate_id AS id FROM event_store.events
        WHERE position > $1 AND aggregate_type = 'Payment' AND event_type = 'PaymentInitiated'
          AND data->>'orderId' = ANY($2::text[])`,
      [input.fromPosition, orders],
    );
    const payments = paymentRows.rows.map((r) => r.id);
    // $1 position, $2 prefix, $3 orders, $4 payments.
    const ofRun = `(aggregate_id LIKE $2
        OR (aggregate_type = 'Order' AND aggregate_id = ANY($3::text[]))
        OR (aggregate_type = 'Payment' AND aggregate_id = ANY($4::text[])))`;
    const scope = [input.fromPosition, like, orders, payments];

    const stored = await client.query<{ aggregate_type: string; pm: boolean; n: string; ids: string }>(
      `SELECT aggregate_type, ${fromProcessManager} AS pm, count(*)::text AS n,
              count(DISTINCT event_id)::text AS ids
         FROM event_store.events
        WHERE position > $1 AND ${ofRun}
        GROUP BY 1, 2`,
      scope,
    );
    const byAggregateType: Record<string, number> = {};
    let storedRows = 0;
    let storedIds = 0;
    let pmStored = 0;
    for (const r of stored.rows) {
      if (r.pm) {
        pmStored += Number(r.n);
        continue;
      }
      byAggregateType[r.aggregate_type] = Number(r.n);
      storedRows += Number(r.n);
      storedIds += Number(r.ids);
    }
    const pmTypes = await client.query<{ event_type: string; n: string }>(
      `SELECT event_type, count(*)::text AS n FROM event_store.events
        WHERE position > $1 AND ${ofRun} AND ${fromProcessManager} GROUP BY 1`,
      scope,
    );
    const rejected = await client.query<{ code: string; pm: boolean; n: string }>(
      `SELECT code, coalesce(envelope->'metadata'->>'source', '') = 'process-manager' AS pm,
              count(*)::text AS n
         FROM event_store.rejected_events
        WHERE rejected_at >= $1 AND (aggregate_id LIKE $2
          OR (aggregate_type = 'Order' AND aggregate_id = ANY($3::text[]))
          OR (aggregate_type = 'Payment' AND aggregate_id = ANY($4::text[])))
        GROUP BY 1, 2`,
      [new Date(input.since.getTime() - 5000), like, orders, payments],
    );
    const rejectedByCode: Record<string, number> = {};
    let rejectedCount = 0;
    let pmRejected = 0;
    for (const r of rejected.rows) {
      if (r.pm) {
        pmRejected += Number(r.n);
        continue;
      }
      rejectedByCode[r.code] = (rejectedByCode[r.code] ?? 0) + Number(r.n);
      rejectedCount += Number(r.n);
    }

    // User activity: one read-model row per event, matched by event id.
    const activity = await client.query<{ rows: string; ids: string; missing: string }>(
      `WITH s AS (
         SELECT event_id FROM event_store.events
          WHERE position > $1 AND aggregate_id LIKE $2 AND aggregate_type = 'User'),
       p AS (
         SELECT event_id FROM projection.user_activity WHERE position > $1 AND user_id LIKE $2)
       SELECT (SELECT count(*) FROM p)::text AS rows,
              (SELECT count(DISTINCT event_id) FROM p)::text AS ids,
              -- A hashed set difference (event ids are unique in the store): NOT EXISTS against
              -- the CTE was a nested loop, a second of the database's CPU at 4,000 events.
              (SELECT count(*) FROM (SELECT event_id FROM s EXCEPT SELECT event_id FROM p) m)::text AS missing`,
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
          WHERE position > $1 AND ${ofRun} AND aggregate_type <> 'User'
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
      scope,
    );
    const d = docs.rows[0]!;
    const docMissing = Number(d.missing);
    const notProjected = activityMissing + docMissing;
    const projectedTwice = activityTwice + Number(d.ahead);

    const lost = Math.max(0, input.accepted - storedIds - rejectedCount);
    // More stored than accepted: duplicates, except for requests that timed out but did land.
    const extra = Math.max(0, storedIds + rejectedCount - input.accepted - input.unanswered);
    const duplicated = storedRows - storedIds + extra;
    const orderCheck = input.processManagerUrl
      ? await checkOrders(client, input.processManagerUrl, input.apiKey ?? "", like, orders)
      : null;
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
      projected: storedRows + pmStored - notProjected,
      byAggregateType,
      processManager: {
        stored: pmStored,
        rejected: pmRejected,
        byEventType: Object.fromEntries(pmTypes.rows.map((r) => [r.event_type, Number(r.n)])),
      },
      orders: orderCheck,
      ok:
        lost === 0 &&
        duplicated === 0 &&
        notProjected === 0 &&
        projectedTwice === 0 &&
        (orderCheck === null || (orderCheck.notFinal === 0 && orderCheck.stockHeld === 0)),
      checkedAt: new Date().toISOString(),
    };
    return result;
  } finally {
    await client.end();
  }
}

interface ProcessSummary {
  status: string;
  stage: string;
  outcome: string | null;
  startedAt: string;
  completedAt: string | null;
}

const finalReadModel: Record<string, string> = { completed: "Confirmed", cancelled: "Cancelled" };

/** Each order of the run: final in the process manager and in the read model, no stock held if cancelled. */
async function checkOrders(
  client: pg.Client,
  processManagerUrl: string,
  apiKey: string,
  like: string,
  orders: string[],
): Promise<OrderCheck> {
  const readModel = await client.query<{ id: string; status: string | null }>(
    "SELECT id, status FROM projection.orders WHERE id = ANY($1::text[])",
    [orders],
  );
  const statusOf = new Map(readModel.rows.map((r) => [r.id, r.status]));
  const processes = new Map<string, ProcessSummary | string>();
  const queue = [...orders];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const url = `${processManagerUrl}/api/processes/${encodeURIComponent(`order:${id}`)}`;
      try {
        const res = await fetch(url, { headers: { "x-api-key": apiKey }, signal: AbortSignal.timeout(5000) });
        processes.set(id, res.ok ? ((await res.json()) as ProcessSummary) : `no process (${res.status})`);
      } catch (e) {
        processes.set(id, `no answer (${e instanceof Error ? e.message : String(e)})`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, orders.length) }, worker));
  const cancelledIds = orders.filter((id) => {
    const p = processes.get(id);
    return typeof p === "object" && p.status === "cancelled";
  });
  const held = await client.query<{ order_id: string; product: string; units: string }>(
    `SELECT r.key AS order_id, i.id AS product, r.value::text AS units
       FROM projection.inventory i, jsonb_each(coalesce(i.doc->'reservations', '{}'::jsonb)) r
      WHERE i.id LIKE $1 AND r.key = ANY($2::text[])`,
    [like, cancelledIds],
  );
  const check: OrderCheck = {
    orders: orders.length,
    confirmed: 0,
    cancelled: 0,
    notFinal: 0,
    stockHeld: held.rows.length,
    byOutcome: {},
    timeToFinalMs: { p50: null, p95: null, max: null },
    examples: [],
  };
  const note = (text: string) => {
    if (check.examples.length < 10) check.examples.push(text);
  };
  const took: number[] = [];
  for (const id of orders) {
    const p = processes.get(id);
    const readStatus = statusOf.get(id) ?? null;
    if (typeof p !== "object" || p === undefined) {
      check.notFinal++;
      note(`order ${id}: ${p ?? "no process"}; read model ${readStatus ?? "absent"}`);
      continue;
    }
    const expected = finalReadModel[p.status];
    if (expected === undefined || readStatus !== expected) {
      check.notFinal++;
      note(`order ${id}: process ${p.status}/${p.stage}; read model ${readStatus ?? "absent"}`);
      continue;
    }
    if (p.status === "completed") check.confirmed++;
    else check.cancelled++;
    const outcome = p.outcome ?? p.status;
    check.byOutcome[outcome] = (check.byOutcome[outcome] ?? 0) + 1;
    if (p.completedAt) took.push(Date.parse(p.completedAt) - Date.parse(p.startedAt));
  }
  for (const h of held.rows) note(`order ${h.order_id}: cancelled, still holds ${h.units} of ${h.product}`);
  check.timeToFinalMs = { p50: percentile(took, 50), p95: percentile(took, 95), max: maxOf(took) };
  return check;
}
