import type { Pool } from "@eventscope/platform";
import { USER_ACTIVITY, type DocumentModel } from "./read-models.ts";

export interface Page {
  limit: number;
  offset: number;
}

/** One document by id, or undefined. */
export async function getDocument(pool: Pool, model: DocumentModel, id: string): Promise<unknown> {
  const { rows } = await pool.query<{ doc: unknown }>(`SELECT doc FROM ${model.table} WHERE id = $1`, [id]);
  return rows[0]?.doc;
}

/** The model's filters a query string sets (an empty value sets none); other parameters are not filters. */
export function filtersOf(model: DocumentModel, query: URLSearchParams): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const param of Object.keys(model.filters)) {
    const value = query.get(param);
    if (value !== null && value !== "") filters[param] = value;
  }
  return filters;
}

/**
 * The WHERE clause of a list and its arguments: each filter on its generated column, as a
 * placeholder; lowStock is a boolean ("true", anything else false).
 */
export function documentWhere(
  model: DocumentModel,
  filters: Record<string, string>,
): { clause: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  for (const [param, value] of Object.entries(filters)) {
    const column = model.filters[param]!;
    args.push(column === "low_stock" ? value === "true" : value);
    where.push(`${column} = $${args.length}`);
  }
  return { clause: where.length > 0 ? `WHERE ${where.join(" AND ")}` : "", args };
}

/**
 * A page and the count of everything it was cut from, in one statement: one snapshot, so a page
 * never holds fewer rows than its count says while a write commits between two reads (two queries
 * on two connections did). The count's row is there even when the page is empty.
 */
const pageWithCount = (table: string, clause: string, columns: string, order: string[], page: Page) =>
  `SELECT t.n, p.* FROM (SELECT count(*)::int AS n FROM ${table} ${clause}) AS t
   LEFT JOIN LATERAL (SELECT ${columns} FROM ${table} ${clause}
     ORDER BY ${order.join(", ")} LIMIT ${page.limit} OFFSET ${page.offset}) AS p ON true
   ORDER BY ${order.map((term) => `p.${term}`).join(", ")}`;

/** Documents filtered on the model's generated columns, newest first, with the total count. */
export async function listDocuments(
  pool: Pool,
  model: DocumentModel,
  filters: Record<string, string>,
  page: Page,
) {
  const { clause, args } = documentWhere(model, filters);
  const { rows } = await pool.query<{ n: number; id: string | null; doc: unknown }>(
    pageWithCount(model.table, clause, "id, updated_at, doc", ["updated_at DESC", "id"], page),
    args,
  );
  return {
    count: rows[0]!.n,
    limit: page.limit,
    offset: page.offset,
    items: rows.filter((r) => r.id !== null).map((r) => r.doc),
  };
}

export interface ActivityEvent {
  eventId: string;
  userId: string;
  eventType: string;
  timestamp: string;
  metadata: unknown;
}

export interface ActivityFilter {
  userId?: string;
  eventType?: string;
}

/** The WHERE clause of a user-activity list and its arguments: by user, by event type, or both. */
export function activityWhere(filter: ActivityFilter): { clause: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.userId !== undefined) {
    args.push(filter.userId);
    where.push(`user_id = $${args.length}`);
  }
  if (filter.eventType !== undefined) {
    args.push(filter.eventType);
    where.push(`event_type = $${args.length}`);
  }
  return { clause: where.length > 0 ? `WHERE ${where.join(" AND ")}` : "", args };
}

/** User activity in the shape the activity service's users know: `{count, events}`. */
export async function listActivity(pool: Pool, filter: ActivityFilter, page: Page) {
  const { clause, args } = activityWhere(filter);
  const { rows } = await pool.query(
    pageWithCount(
      USER_ACTIVITY,
      clause,
      "position, event_id, user_id, event_type, occurred_at, data",
      ["position"],
      page,
    ),
    args,
  );
  const events: ActivityEvent[] = rows
    .filter((r) => r.event_id !== null)
    .map((r) => ({
      eventId: r.event_id,
      userId: r.user_id,
      eventType: r.event_type,
      timestamp: r.occurred_at.toISOString(),
      metadata: r.data,
    }));
  return { count: rows[0]!.n as number, events };
}
