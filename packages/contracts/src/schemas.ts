// JSON Schemas of the envelope and of every event's data, compiled once at module load by a single
// ajv instance: validation sits on the producer's HTTP hot path.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { Domain, JSONSchema } from "./domain.ts";
import type { FieldProblem } from "./envelope.ts";
import { domains } from "./registry.ts";

const metadataSchema = {
  type: "object",
  properties: {
    correlationId: { type: "string", minLength: 1, maxLength: 200 },
    causationId: { type: ["string", "null"], maxLength: 200 },
    userId: { type: ["string", "null"], maxLength: 200 },
    source: { type: "string", minLength: 1, maxLength: 200 },
    traceparent: { type: "string", pattern: "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$" },
    tracestate: { type: "string", maxLength: 512 },
    acceptedAt: { type: "string", format: "date-time" },
    payloadHash: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
  },
};

/** The envelope a client sends; eventId, timestamp and metadata are filled in when absent. */
export const envelopeSchema: JSONSchema = {
  $id: "https://eventscope.dev/schemas/envelope.json",
  title: "EventEnvelope",
  type: "object",
  required: ["eventType", "aggregateId", "aggregateType"],
  properties: {
    eventId: { type: "string", format: "uuid" },
    eventType: { type: "string", minLength: 1, maxLength: 100 },
    aggregateId: { type: "string", minLength: 1, maxLength: 200 },
    aggregateType: { type: "string", minLength: 1, maxLength: 100 },
    timestamp: { type: "string", format: "date-time" },
    // A stream version is a PostgreSQL integer.
    version: { type: "integer", minimum: 1, maximum: 2_147_483_647 },
    // The version of the event type's data schema the data is written in.
    schemaVersion: { type: "integer", minimum: 1, maximum: 999_999 },
    data: { type: "object" },
    metadata: metadataSchema,
  },
};

/** An event as the store publishes it on events.committed (and serves from its APIs). */
export const committedEventSchema: JSONSchema = {
  ...envelopeSchema,
  $id: "https://eventscope.dev/schemas/committed-event.json",
  title: "CommittedEvent",
  required: [
    ...["eventId", "eventType", "aggregateId", "aggregateType", "timestamp", "version", "data", "metadata"],
    ...["position", "storedAt"],
  ],
  properties: {
    ...(envelopeSchema["properties"] as Record<string, unknown>),
    metadata: { ...metadataSchema, required: ["correlationId", "source"] },
    position: { type: "string", pattern: "^[0-9]+$" },
    storedAt: { type: "string", format: "date-time" },
    ingest: {
      type: "object",
      description: "The events.ingest record the event was consumed from",
      properties: {
        topic: { type: "string" },
        partition: { type: "integer", minimum: 0 },
        offset: { type: "string", pattern: "^[0-9]+$" },
      },
    },
  },
};

/** Every enumerated event type with its (current) data schema (free-form types are in `domains`). */
export function eventSchemas(): Record<string, JSONSchema> {
  const all: Record<string, JSONSchema> = {};
  for (const domain of domains) Object.assign(all, domain.events);
  return all;
}

/** The data schemas of the earlier versions, by event type and version (`{ CustomerCreated: { 1: ... } }`). */
export function earlierEventSchemas(): Record<string, Record<number, JSONSchema>> {
  const all: Record<string, Record<number, JSONSchema>> = {};
  for (const domain of domains) {
    for (const [eventType, history] of Object.entries(domain.versions ?? {})) {
      all[eventType] = Object.fromEntries(history.earlier.map((v, i) => [i + 1, v.schema]));
    }
  }
  return all;
}

// Lenient on purpose: .NET clients send local date-times without an offset for due dates.
const dateOrDateTime =
  /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$/;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
// The list form adds formats without ajv-formats' extra keywords, which would bind its own ajv copy.
addFormats.default(ajv, ["uuid", "date-time", "date", "email", "uri"]);
ajv.addFormat("date-or-date-time", {
  type: "string",
  validate: (s: string) => dateOrDateTime.test(s) && !Number.isNaN(Date.parse(s)),
});

const envelopeValidator = ajv.compile(envelopeSchema);
const dataValidators = new Map<string, ValidateFunction>();
const freeFormValidators = new Map<Domain, ValidateFunction>();
for (const domain of domains) {
  for (const [eventType, schema] of Object.entries(domain.events)) {
    dataValidators.set(eventType, ajv.compile(schema));
  }
  if (domain.freeFormEvents) freeFormValidators.set(domain, ajv.compile(domain.freeFormEvents.dataSchema));
  for (const [eventType, history] of Object.entries(domain.versions ?? {})) {
    history.earlier.forEach((v, i) => dataValidators.set(`${eventType}@${i + 1}`, ajv.compile(v.schema)));
  }
}

/** Problems with the envelope's own fields, or undefined when it is well formed. */
export function checkEnvelopeShape(input: unknown): FieldProblem[] | undefined {
  return envelopeValidator(input) ? undefined : toProblems(envelopeValidator.errors, "");
}

/**
 * Problems with an event's data against the schema of one of its versions (the current one when
 * `schemaVersion` is absent), or undefined. Invariants are the domain's checks of the current
 * version: validation.ts runs them on upcast data.
 */
export function checkEventData(
  domain: Domain,
  eventType: string,
  data: unknown,
  schemaVersion?: number,
): FieldProblem[] | undefined {
  const current = (domain.versions?.[eventType]?.earlier.length ?? 0) + 1;
  const key =
    schemaVersion === undefined || schemaVersion === current ? eventType : `${eventType}@${schemaVersion}`;
  const validate = dataValidators.get(key) ?? freeFormValidators.get(domain);
  if (!validate) return [{ field: "/eventType", reason: `has no schema in the ${domain.name} domain` }];
  if (!validate(data)) return toProblems(validate.errors, "/data");
  return undefined;
}

/** The domain's invariant for an event's (current-version) data, as a problem, or undefined. */
export function checkDataInvariant(
  domain: Domain,
  eventType: string,
  data: Record<string, unknown>,
): FieldProblem[] | undefined {
  const problem = domain.invariants?.[eventType]?.(data);
  return problem ? [{ field: `/data${problem.field}`, reason: problem.reason }] : undefined;
}

function toProblems(errors: ErrorObject[] | null | undefined, prefix: string): FieldProblem[] {
  return (errors ?? []).map((error) => {
    const at = prefix + error.instancePath;
    switch (error.keyword) {
      case "required":
        return { field: `${at}/${escape(String(error.params["missingProperty"]))}`, reason: "is required" };
      case "additionalProperties":
        return {
          field: `${at}/${escape(String(error.params["additionalProperty"]))}`,
          reason: "is not allowed",
        };
      case "minProperties":
        return { field: at, reason: `must have at least ${String(error.params["limit"])} field(s)` };
      default:
        return { field: at, reason: error.message ?? `fails ${error.keyword}` };
    }
  });
}

const escape = (name: string): string => name.replaceAll("~", "~0").replaceAll("/", "~1");
