import type { KafkaMessage } from "./kafka/types.ts";
import type { Metrics } from "./metrics.ts";
import type { Pool, PoolClient } from "./postgres.ts";
import type { Publisher } from "./kafka.ts";
import type { Route } from "./http.ts";
import { ProblemError, notFound, validationError } from "./errors.ts";
import { intParam } from "./params.ts";

export interface DeadLetter {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  reason: string;
  parkedAt: string;
  replayedAt: string | null;
}

const decodeHeaders = (headers: KafkaMessage["headers"]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first: unknown = Array.isArray(v) ? v[0] : v;
    if (first !== undefined && first !== null)
      out[k] = Buffer.isBuffer(first)
        ? first.toString()
        : typeof first === "string"
          ? first
          : JSON.stringify(first);
  }
  return out;
};

/**
 * Parks a message that cannot be processed, with its reason: a row in the service's
 * `dead_letters` table (the platform's migration creates it: migrations/dead_letters.sql) and a copy on the dead-letter
 * topic. The consumer then moves on; a parked message can be listed and replayed.
 */
export function createDeadLetters(deps: {
  pool: Pool;
  publisher: Publisher;
  metrics: Metrics;
  topic: string;
}) {
  const { pool, publisher, metrics } = deps;
  const refreshGauge = async () => {
    const { rows } = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM dead_letters WHERE replayed_at IS NULL",
    );
    metrics.deadLettersParked.set(Number(rows[0]?.n ?? 0));
  };
  return {
    async park(
      source: { topic: string; partition: number; message: KafkaMessage },
      reason: string,
    ): Promise<void> {
      const { topic, partition, message } = source;
      const headers = decodeHeaders(message.headers);
      await pool.query(
        `INSERT INTO dead_letters (topic, partition, "offset", key, value, headers, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (topic, partition, "offset") DO NOTHING`,
        [
          topic,
          partition,
          message.offset,
          message.key?.toString() ?? null,
          message.value,
          JSON.stringify(headers),
          reason,
        ],
      );
      await publisher.publish(deps.topic, [
        {
          key: message.key?.toString() ?? "",
          value: message.value ?? "",
          headers: {
            ...headers,
            "x-dead-letter-reason": reason,
            "x-original-topic": topic,
            "x-original-partition": String(partition),
            "x-original-offset": message.offset,
          },
        },
      ]);
      metrics.deadLetters.inc({ topic, reason: reason.split(":")[0]!.slice(0, 40) });
      await refreshGauge();
    },
    async list(limit = 100, includeReplayed = false): Promise<DeadLetter[]> {
      const { rows } = await pool.query(
        `SELECT id, topic, partition, "offset", key, convert_from(value, 'UTF8') AS value, headers, reason, parked_at, replayed_at
         FROM dead_letters ${includeReplayed ? "" : "WHERE replayed_at IS NULL"} ORDER BY id LIMIT $1`,
        [limit],
      );
      return rows.map((r) => ({
        id: String(r.id),
        topic: r.topic,
        partition: r.partition,
        offset: String(r.offset),
        key: r.key,
        value: r.value,
        headers: r.headers,
        reason: r.reason,
        parkedAt: r.parked_at.toISOString(),
        replayedAt: r.replayed_at?.toISOString() ?? null,
      }));
    },
    /** Sends a parked message back to its topic (after a fix) and marks it replayed. */
    async replay(id: string): Promise<DeadLetter | undefined> {
      if (!/^\d{1,18}$/.test(id)) return undefined;
      const { rows } = await pool.query(
        `SELECT id, topic, key, value, headers FROM dead_letters WHERE id = $1 AND replayed_at IS NULL`,
        [id],
      );
      const row = rows[0];
      if (!row) return undefined;
      const erasedBy = erasureOf(row.value);
      if (erasedBy) throw deadLetterErased(String(row.id), erasedBy);
      await publisher.publish(row.topic, [
        { key: row.key ?? "", value: row.value ?? "", headers: row.headers },
      ]);
      await pool.query("UPDATE dead_letters SET replayed_at = now() WHERE id = $1", [id]);
      await refreshGauge();
      return (await this.list(1000, true)).find((d) => d.id === String(id));
    },
    refreshGauge,
  };
}

export type DeadLetters = ReturnType<typeof createDeadLetters>;

/** The code of the 409 a replay of a parked message redacted by an erasure answers. */
export const DEAD_LETTER_ERASED = "DEAD_LETTER_ERASED";

/** A data subject's erasure as a consuming service met it, and what it knew of the subject. */
export interface ParkedErasure {
  subjectId: string;
  /** The subject's personal values the caller knows (e-mail, phone, names); shorter than 5 characters are ignored. */
  values: Iterable<string>;
  /** The event that erased the subject (CustomerDeleted, CustomerErased) and its id. */
  eventType: string;
  eventId: string;
}

// Personal values shorter than this are not looked for: inside a message they would match too much.
const MIN_NEEDLE = 5;
const erasedText = "[erased]";

interface ErasedStub {
  erased: true;
  erasedBy: { eventType: string; eventId: string };
}

/** The event that erased a parked message's value (a stub in its place), or undefined. */
function erasureOf(value: Buffer | null): ErasedStub["erasedBy"] | undefined {
  if (!value || value.length > 1000) return undefined;
  try {
    const stub = JSON.parse(value.toString("utf8")) as Partial<ErasedStub> | null;
    return stub?.erased === true && typeof stub.erasedBy?.eventId === "string" ? stub.erasedBy : undefined;
  } catch {
    return undefined;
  }
}

const deadLetterErased = (id: string, by: ErasedStub["erasedBy"]) =>
  new ProblemError(
    `parked message ${id} held a data subject's personal data and was redacted on their erasure ` +
      `(${by.eventType} ${by.eventId}): there is nothing left to replay`,
    { code: DEAD_LETTER_ERASED, status: 409, extra: { deadLetterId: id, erasedBy: by } },
  );

const scrub = (text: string, values: string[]): string => {
  let out = text;
  for (const v of values) out = out.split(v).join(erasedText);
  return out;
};

/**
 * Redacts, in the caller's transaction, the parked messages of an erased data subject: every
 * row of the service's dead_letters (replayed or not) whose key is the subject id, whose value or
 * headers hold it as a JSON string, or whose key, value, headers or reason hold one of `values`. Its value becomes a stub
 * (`{"erased":true,"erasedBy":{...}}`), headers holding a value are dropped, the key and the reason
 * keep no value, and the reason says which event erased it; a replay of it is then refused (409
 * DEAD_LETTER_ERASED). A copy on the dead-letter topic is left to the topic's retention. Returns
 * how many rows it redacted.
 */
export async function eraseParkedMessages(client: PoolClient, erasure: ParkedErasure): Promise<number> {
  const { subjectId, eventType, eventId } = erasure;
  const values = [...new Set(erasure.values)].filter((v) => v.length >= MIN_NEEDLE && v !== erasedText);
  // The subject id as a JSON string (`"cust-1"`), so that another id holding it ("cust-12") is no match.
  const quotedId = JSON.stringify(subjectId);
  const { rows } = await client.query<{
    id: string;
    key: string | null;
    value: Buffer | null;
    headers: Record<string, string>;
    reason: string;
  }>(
    `SELECT id, key, value, headers, reason FROM dead_letters d
     WHERE d.key = $1
        OR position(convert_to($3, 'UTF8') IN coalesce(d.value, ''::bytea)) > 0
        OR strpos(d.headers::text, $3) > 0
        OR EXISTS (
          SELECT 1 FROM unnest($2::text[]) AS n(needle)
          WHERE position(convert_to(n.needle, 'UTF8') IN coalesce(d.value, ''::bytea)) > 0
             OR strpos(coalesce(d.key, ''), n.needle) > 0
             OR strpos(d.headers::text, n.needle) > 0
             OR strpos(d.reason, n.needle) > 0)
     ORDER BY id FOR UPDATE`,
    [subjectId, values, quotedId],
  );
  const stub: ErasedStub = { erased: true, erasedBy: { eventType, eventId } };
  for (const row of rows) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(row.headers ?? {}))
      if (!values.some((value) => String(v).includes(value))) headers[k] = v;
    const before = erasureOf(row.value);
    const reason = scrub(row.reason, values);
    await client.query(
      "UPDATE dead_letters SET key = $2, value = $3, headers = $4, reason = $5 WHERE id = $1",
      [
        row.id,
        row.key === null ? null : scrub(row.key, values),
        before ? row.value : Buffer.from(JSON.stringify(stub)),
        JSON.stringify(headers),
        before ? reason : `${reason} (erased: ${eventType} ${eventId})`,
      ],
    );
  }
  return rows.length;
}

/**
 * The routes that list parked messages and replay one: `<base>` and `<base>/:id/replay`. A
 * parked message holds an event as sent (personal data): listing needs read, replaying admin.
 */
export function deadLetterRoutes(base: string, deadLetters: DeadLetters): Route[] {
  return [
    {
      method: "GET",
      path: base,
      scope: "read",
      handler: async ({ query }) => {
        const limit = intParam(query, "limit", { fallback: 100, min: 1, max: 1000 });
        const letters = await deadLetters.list(limit, query.get("all") === "true");
        return { status: 200, body: { count: letters.length, deadLetters: letters } };
      },
    },
    {
      method: "POST",
      path: `${base}/:id/replay`,
      scope: "admin",
      handler: async ({ params }) => {
        if (!/^[0-9]{1,18}$/.test(params.id!)) {
          throw validationError("invalid id", [
            { field: "id", reason: "must be a dead-letter id (an integer)" },
          ]);
        }
        const replayed = await deadLetters.replay(params.id!);
        if (!replayed) throw notFound(`no parked message ${params.id} waiting for replay`);
        return { status: 200, body: replayed };
      },
    },
  ];
}
