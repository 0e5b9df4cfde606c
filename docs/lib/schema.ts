// JSON Schema builders for the documents: the few shapes every service's documentation is made of.
import type { JSONSchema } from "@eventscope/contracts";

export type Json = Record<string, unknown>;

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
export const str = (description?: string, extra: Json = {}): Json => ({
  type: "string",
  ...(description ? { description } : {}),
  ...extra,
});
export const int = (description?: string, extra: Json = {}): Json => ({
  type: "integer",
  ...(description ? { description } : {}),
  ...extra,
});
export const num = (description?: string): Json => ({
  type: "number",
  ...(description ? { description } : {}),
});
export const bool = (description?: string): Json => ({
  type: "boolean",
  ...(description ? { description } : {}),
});
export const dateTime = (description?: string): Json => str(description, { format: "date-time" });
export const uuid = (description?: string): Json => str(description, { format: "uuid" });
export const arrayOf = (items: Json, description?: string): Json => ({
  type: "array",
  items,
  ...(description ? { description } : {}),
});
/** The same schema, also allowing null. */
export const orNull = (schema: Json): Json => ({
  ...schema,
  type: [schema.type as string, "null"],
  ...(Array.isArray(schema.enum) ? { enum: [...(schema.enum as unknown[]), null] } : {}),
});
export const enumOf = (values: readonly string[], description?: string): Json =>
  str(description, { enum: [...values] });
/** A closed object whose every property is required (the shape the services always write). */
export const record = (properties: Record<string, Json>, description?: string): Json => ({
  type: "object",
  ...(description ? { description } : {}),
  required: Object.keys(properties),
  properties,
});
export const object = (properties: Record<string, Json>, required: string[], description?: string): Json => ({
  type: "object",
  ...(description ? { description } : {}),
  required,
  properties,
});

/** A contracts schema without its `$id` (ids would change the base URI of refs inside the documents). */
export function published(schema: JSONSchema): Json {
  const { $id: _id, ...rest } = structuredClone(schema);
  return rest;
}
