// Building blocks for the domains' data schemas (JSON Schema draft-07, as plain data).
import type { JSONSchema } from "../domain.ts";

export const text = (maxLength = 200): JSONSchema => ({ type: "string", minLength: 1, maxLength });
export const nullableText = (maxLength = 200): JSONSchema => ({ type: ["string", "null"], maxLength });
export const identifier = text(200);
export const money: JSONSchema = { type: "number", minimum: 0 };
export const positiveMoney: JSONSchema = { type: "number", exclusiveMinimum: 0 };
export const quantity: JSONSchema = { type: "integer", minimum: 1 };
export const stockLevel: JSONSchema = { type: "integer", minimum: 0 };
export const email: JSONSchema = { type: "string", format: "email", maxLength: 254 };
export const currency: JSONSchema = { type: "string", pattern: "^[A-Z]{3}$" };
/** A date or a date-time; .NET clients often send local date-times without an offset. */
export const dateOrDateTime: JSONSchema = { type: "string", format: "date-or-date-time" };

// Closed objects: a misspelt field is named in the 400 answer instead of being silently dropped.
export const eventData = (
  title: string,
  properties: Record<string, JSONSchema>,
  required: string[] = [],
  extra: JSONSchema = {},
): JSONSchema => ({ title, type: "object", additionalProperties: false, required, properties, ...extra });

/** The data of an event with nothing to say beyond its type. */
export const noData = (title: string): JSONSchema => eventData(title, {});
