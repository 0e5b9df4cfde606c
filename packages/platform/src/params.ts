// Strict readers of query parameters and of If-Match: a value is a plain decimal or an
// ISO 8601 date-time within range, or a 400 problem naming the parameter. Nothing is coerced
// (Number("") is 0, Number("0x10") is 16), clamped or passed on to PostgreSQL to refuse.
import type { IncomingHttpHeaders } from "node:http";
import { validationError } from "./errors.ts";

export const MAX_INT = 2_147_483_647;

export interface IntRange {
  fallback: number;
  min?: number;
  max?: number;
}

/** An integer query parameter within [min, max]; absent or empty gives the fallback. */
export function intParam(query: URLSearchParams, name: string, range: IntRange): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return range.fallback;
  const min = range.min ?? 0;
  const max = range.max ?? MAX_INT;
  const n = /^-?\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw validationError(`invalid ${name}`, [
      { field: name, reason: `must be an integer from ${min} to ${max}` },
    ]);
  }
  return n;
}

// A date, or a date-time with an optional offset; four-digit years only (PostgreSQL's range and
// ISO 8601's basic form; "99999-01-01" is not a date this platform stores).
const isoDateTime =
  /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 date-time query parameter, normalised to UTC (`toISOString`), or undefined. */
export function dateTimeParam(query: URLSearchParams, name: string): string | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const ms = isoDateTime.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms))
    throw validationError(`invalid ${name}`, [
      { field: name, reason: "must be an ISO 8601 date or date-time (years 0000-9999)" },
    ]);
  return new Date(ms).toISOString();
}

const ifMatchForm = /^(?:\d{1,9}|"\d{1,9}")$/;

/**
 * The expected stream version from If-Match: `3` or `"3"` (an entity tag), at most nine digits.
 * Absent gives undefined; anything else is a 400 naming If-Match.
 */
export function ifMatchVersion(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers["if-match"];
  if (raw === undefined) return undefined;
  const value = String(raw).trim();
  if (!ifMatchForm.test(value)) {
    throw validationError("If-Match must be the stream's expected version", [
      { field: "If-Match", reason: 'must be the expected stream version: 1 to 9 digits, e.g. 3 or "3"' },
    ]);
  }
  return Number(value.replaceAll('"', ""));
}
