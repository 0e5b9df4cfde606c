// Checks of path and query parameters; each failure is a 400 problem naming the parameter.
import { intParam, validationError } from "@eventscope/platform";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function uuid(value: string | null | undefined, field: string): string {
  if (value === null || value === undefined || !UUID.test(value))
    throw validationError(`invalid ${field}`, [{ field, reason: "must be a UUID" }]);
  return value;
}

export function oneOf(query: URLSearchParams, field: string, allowed: readonly string[]): string | undefined {
  const value = query.get(field) || undefined;
  if (value !== undefined && !allowed.includes(value))
    throw validationError(`invalid ${field}`, [{ field, reason: `must be one of ${allowed.join(", ")}` }]);
  return value;
}

export const limit = (query: URLSearchParams, fallback: number, max: number): number =>
  intParam(query, "limit", { fallback, min: 1, max });
