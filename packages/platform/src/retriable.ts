// Whether an error can go away by trying again, for every consumer: a lost connection, a
// serialization failure or a timeout is retried with backoff; a value PostgreSQL refuses, a
// decode or schema error is parked or rejected at once. An error nobody classified is neither
// and fails the batch loudly. Errors of the one hierarchy (EventscopeError) say so themselves.
import { isEventscopeError, ProblemError } from "./errors.ts";

/** An input that will never be processed, however often it is retried: park or reject it. */
export const unprocessable = (message: string, cause?: unknown): ProblemError =>
  new ProblemError(message, { code: "UNPROCESSABLE", status: 422, retriable: false, cause });

interface ErrorFields {
  code?: unknown;
  retriable?: unknown;
  message?: unknown;
  name?: unknown;
}

/** The SQLSTATE of a PostgreSQL error (node-postgres puts it in `code`), if it is one. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as ErrorFields | undefined)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

// Connection (08), resources (53), operator intervention (57: shutdown, statement timeout),
// lock not available (55P03), serialization failure (40001) and deadlock (40P01).
const transientSqlState = (state: string) =>
  /^(08|53|57)/.test(state) || state === "40001" || state === "40P01" || state === "55P03";

// Data exceptions (22: NUL in jsonb 22P05, a lone surrogate 22P02, an out-of-range value) and
// integrity violations other than a uniqueness race (23505 means a concurrent writer).
const poisonSqlState = (state: string) => state.startsWith("22") || /^23(502|503|514|P01)$/.test(state);

const TRANSIENT_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);
const TRANSIENT_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Connection ended/i;

/** Trying again can help: a lost connection, a serialization failure, a timeout, a retriable Kafka error. */
export function isRetriable(error: unknown): boolean {
  if (isEventscopeError(error)) return error.retriable;
  const state = sqlStateOf(error);
  if (state) return transientSqlState(state);
  const fields = (error ?? {}) as ErrorFields;
  if (typeof fields.retriable === "boolean") return fields.retriable;
  if (typeof fields.code === "string" && TRANSIENT_SOCKET_CODES.has(fields.code)) return true;
  return typeof fields.message === "string" && TRANSIENT_MESSAGES.test(fields.message);
}

// What an input that cannot be processed is called: by the consumers, and by the Kafka binding.
const POISON_CODES = new Set(["UNPROCESSABLE", "MALFORMED_RECORD"]);

/** The input itself is at fault and retrying it cannot help: a data error, a decode or schema error. */
export function isPoison(error: unknown): boolean {
  if (isEventscopeError(error)) return POISON_CODES.has(error.code);
  const state = sqlStateOf(error);
  if (state) return poisonSqlState(state);
  const fields = (error ?? {}) as ErrorFields;
  return fields.name === "MalformedRecordError" || error instanceof SyntaxError;
}

/** A one-line reason for a dead letter or a rejection: the message and, from PostgreSQL, the SQLSTATE. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const state = sqlStateOf(error);
  return state ? `${message} (SQLSTATE ${state})` : message;
}

/**
 * Runs `attempt` on the whole batch; when it fails for a reason that will not go away, on its
 * halves in turn, until the single items that fail are found: those go to `setAside` with the
 * error and the rest is done. One bad event costs about log2(batch) extra attempts, not a stuck
 * partition. A transient error goes up to the caller (the batch is retried as a whole).
 */
export async function isolatePoison<T>(
  items: T[],
  attempt: (items: T[]) => Promise<void>,
  setAside: (item: T, error: unknown) => void | Promise<void>,
): Promise<void> {
  try {
    await attempt(items);
  } catch (error) {
    if (!isPoison(error)) throw error;
    if (items.length === 1) {
      await setAside(items[0]!, error);
      return;
    }
    const half = Math.ceil(items.length / 2);
    await isolatePoison(items.slice(0, half), attempt, setAside);
    await isolatePoison(items.slice(half), attempt, setAside);
  }
}
