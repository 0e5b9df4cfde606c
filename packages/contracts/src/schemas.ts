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
  },
};

/** Every enumerated event type with its data schema (free-form types are in `domains`). */
export function eventSchemas(): Record<string, JSONSchema> {
  const all: Record<string, JSONSchema> = {};
  for (const domain of domains) Object.assign(all, domain.events);
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
}

/** Problems with the envelope's own fields, or undefined when it is well formed. */
export function checkEnvelopeShape(input: unknown): FieldProblem[] | undefined {
  return envelopeValidator(input) ? undefined : toProblems(envelopeValidator.errors, "");
}

/** Problems with an event's data (schema, then the domain's invariants), or undefined. */
export function checkEventData(domain: Domain, eventType: string, data: unknown): FieldProblem[] | undefined {
  const validate = dataValidators.get(eventType) ?? freeFormValidators.get(domain);
  if (!validate) return [{ field: "/eventType", reason: `has no schema in the ${domain.name} domain` }];
  if (!validate(data)) return toProblems(validate.errors, "/data");
  const problem = domain.invariants?.[eventType]?.(data as Record<string, unknown>);
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
