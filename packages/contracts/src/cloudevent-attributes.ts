// CloudEvents attributes -> envelope, shared by the structured JSON mode and the Kafka binary
// binding, so both read the same attributes the same way.
import { dataSchemaUri, schemaVersionIn } from "./envelope.ts";
import type { CommittedEvent, EventEnvelope, EventMetadata, FieldProblem } from "./envelope.ts";
import { domainForEventType } from "./registry.ts";

export type CloudEventAttributes = {
  /** An attribute by its CloudEvents name (a string from Kafka headers, any JSON value in structured mode). */
  get: (name: string) => unknown;
  data: unknown;
  /** Used when `time` is absent. */
  time: () => string;
  /** Where else the aggregate id may come from (the Kafka record key). */
  fallbackAggregateId?: string | undefined;
};

const knownMetadata = new Set([
  "correlationId",
  "causationId",
  "userId",
  "source",
  "traceparent",
  "tracestate",
]);
knownMetadata.add("acceptedAt");

/** Metadata fields with no attribute of their own, or undefined (the usual case). */
export function extraMetadata(metadata: EventMetadata): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const key in metadata) {
    if (!knownMetadata.has(key)) (extra ??= {})[key] = (metadata as Record<string, unknown>)[key];
  }
  return extra;
}

/** The envelope the attributes describe, or undefined with the reasons added to `problems`. */
export function envelopeFrom(
  attrs: CloudEventAttributes,
  problems: FieldProblem[],
): EventEnvelope | undefined {
  const before = problems.length;
  const text = (name: string, required = false): string | undefined => {
    const value = attrs.get(name);
    if (typeof value === "string" && value.length > 0) return value;
    if (value === undefined || value === null) {
      if (required) problems.push({ field: `/${name}`, reason: "is required" });
    } else {
      problems.push({ field: `/${name}`, reason: "must be a non-empty string" });
    }
    return undefined;
  };
  const id = text("id", true);
  const source = text("source", true);
  const type = text("type", true);
  let aggregateId = text("aggregateid");
  let aggregateType = text("aggregatetype");
  const subject = text("subject");
  if (subject !== undefined) {
    // The subject is "Type/id"; ids may themselves contain slashes, so split at the first one.
    const slash = subject.indexOf("/");
    if (slash > 0) aggregateType ??= subject.slice(0, slash);
    aggregateId ??= slash > 0 ? subject.slice(slash + 1) : subject;
  }
  aggregateId ??= attrs.fallbackAggregateId;
  if (type !== undefined) aggregateType ??= domainForEventType(type)?.aggregateType;
  if (aggregateId === undefined)
    problems.push({ field: "/aggregateid", reason: "is required (or a subject Type/id)" });
  if (aggregateType === undefined)
    problems.push({ field: "/aggregatetype", reason: "is required for this type" });
  const data = attrs.data === undefined ? {} : attrs.data;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    problems.push({ field: "/data", reason: "must be a JSON object" });
  }
  const version = positiveInteger(attrs.get("streamversion"), problems);
  const dataschema = text("dataschema");
  let schemaVersion: number | undefined;
  if (dataschema !== undefined && type !== undefined) {
    schemaVersion = schemaVersionIn(dataschema, type);
    if (schemaVersion === undefined)
      problems.push({ field: "/dataschema", reason: `must be ${dataSchemaUri(type, 1)} (or another /v<n>)` });
  }
  const position = attrs.get("position");
  if (position !== undefined && !(typeof position === "string" && /^[0-9]+$/.test(position))) {
    problems.push({ field: "/position", reason: "must be a decimal string" });
  }
  const metadata: EventMetadata = {
    ...parseExtra(attrs.get("metadata"), problems),
    correlationId: text("correlationid") ?? id ?? "",
    source: source ?? "",
  };
  const causationId = text("causationid");
  const userId = text("userid");
  const traceparent = text("traceparent");
  const tracestate = text("tracestate");
  const acceptedAt = text("acceptedat");
  if (causationId !== undefined) metadata.causationId = causationId;
  if (userId !== undefined) metadata.userId = userId;
  if (traceparent !== undefined) metadata.traceparent = traceparent;
  if (tracestate !== undefined) metadata.tracestate = tracestate;
  if (acceptedAt !== undefined) metadata.acceptedAt = acceptedAt;
  const timestamp = text("time") ?? attrs.time();
  const storedAt = text("storedat");
  if (problems.length > before) return undefined;
  const envelope: EventEnvelope = {
    eventId: id!,
    eventType: type!,
    aggregateId: aggregateId!,
    aggregateType: aggregateType!,
    timestamp,
    data: data as Record<string, unknown>,
    metadata,
  };
  if (version !== undefined) envelope.version = version;
  if (schemaVersion !== undefined) envelope.schemaVersion = schemaVersion;
  if (typeof position === "string") {
    const committed = envelope as CommittedEvent;
    committed.position = position;
    committed.storedAt = storedAt ?? timestamp;
  }
  return envelope;
}

// Structured mode carries integers as JSON numbers, the Kafka binding as decimal strings.
function positiveInteger(value: unknown, problems: FieldProblem[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "string" && /^[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof n === "number" && Number.isSafeInteger(n) && n > 0) return n;
  problems.push({ field: "/streamversion", reason: "must be a positive integer" });
  return undefined;
}

function parseExtra(value: unknown, problems: FieldProblem[]): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    const parsed: unknown = typeof value === "string" ? JSON.parse(value) : undefined;
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // reported below, like any other shape
  }
  problems.push({ field: "/metadata", reason: "must be a JSON object in a string" });
  return undefined;
}
