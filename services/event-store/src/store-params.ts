// Strict readers of the event store's own parameters: cursors, positions, ids and names, each a
// 400 problem naming the parameter when it is not what the route takes.
import { validationError } from "@eventscope/platform";
import { parseCursor } from "./queries.ts";

// A cursor's parts are an xid8 and a bigint position: larger numbers are not cursors.
const MAX_XID8 = 18_446_744_073_709_551_615n;
const MAX_BIGINT = 9_223_372_036_854_775_807n;

export function feedCursor(after: string): string {
  try {
    const [tx, pos] = parseCursor(after);
    if (tx.length > 20 || pos.length > 19 || BigInt(tx) > MAX_XID8 || BigInt(pos) > MAX_BIGINT)
      throw new Error("cursor parts are out of range (a transaction id and a position)");
  } catch (error) {
    throw validationError("invalid cursor", [{ field: "after", reason: (error as Error).message }]);
  }
  return after;
}

/** A global position: 1 to 19 digits, at most PostgreSQL's bigint. */
export function positionParam(raw: string, field: string): string {
  if (!/^\d{1,19}$/.test(raw) || BigInt(raw) < 1n || BigInt(raw) > MAX_BIGINT)
    throw validationError(`invalid ${field}`, [
      { field, reason: "must be a global position: an integer from 1" },
    ]);
  return BigInt(raw).toString();
}

/** A name or id: 1 to `max` characters, no control characters. */
export function textParam(raw: string, field: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  if (raw.length === 0 || raw.length > max || /[\u0000-\u001f\u007f]/.test(raw))
    throw validationError(`invalid ${field}`, [
      { field, reason: `must be 1 to ${max} characters without control characters` },
    ]);
  return raw;
}

/** A comma-separated list of event types: 1 to 20 names. */
export function typesParam(query: URLSearchParams): string[] | undefined {
  const raw = query.get("type");
  if (raw === null || raw === "") return undefined;
  const types = raw.split(",").map((t) => t.trim());
  if (types.length > 20)
    throw validationError("invalid type", [
      { field: "type", reason: "at most 20 event types, comma-separated" },
    ]);
  return types.map((t) => textParam(t, "type", 100));
}
