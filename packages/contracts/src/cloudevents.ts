// CloudEvents 1.0 in structured JSON mode, both ways. The envelope's own fields travel as
// extension attributes (lowercase alphanumeric names, as the spec requires).
import { createHash } from "node:crypto";
import type { CommittedEvent, EventEnvelope, FieldProblem } from "./envelope.ts";
import { dataSchemaUri, isCommittedEvent } from "./envelope.ts";
import { validateEnvelope } from "./validation.ts";
import { envelopeFrom, extraMetadata, type CloudEventAttributes } from "./cloudevent-attributes.ts";

export const cloudEventContentType = "application/cloudevents+json";
export const cloudEventBatchContentType = "application/cloudevents-batch+json";

export type CloudEvent = {
  specversion: "1.0";
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: "application/json";
  /** `https://eventscope.dev/schemas/<Type>/v<n>`: the version of the type's data schema. */
  dataschema?: string;
  data: Record<string, unknown>;
  aggregatetype: string;
  aggregateid: string;
  correlationid: string;
  causationid?: string;
  userid?: string;
  traceparent?: string;
  tracestate?: string;
  acceptedat?: string;
  /** Metadata fields with no attribute of their own, as a JSON object in a string. */
  metadata?: string;
  streamversion?: number;
  position?: string;
  storedat?: string;
};

export type CloudEventMapping =
  { ok: true; envelope: EventEnvelope | CommittedEvent } | { ok: false; problems: FieldProblem[] };

export function toCloudEvent(event: EventEnvelope | CommittedEvent): CloudEvent {
  const { metadata } = event;
  const ce: CloudEvent = {
    specversion: "1.0",
    id: event.eventId,
    source: metadata.source,
    type: event.eventType,
    subject: `${event.aggregateType}/${event.aggregateId}`,
    time: event.timestamp,
    datacontenttype: "application/json",
    data: event.data,
    aggregatetype: event.aggregateType,
    aggregateid: event.aggregateId,
    correlationid: metadata.correlationId,
  };
  if (event.schemaVersion !== undefined) ce.dataschema = dataSchemaUri(event.eventType, event.schemaVersion);
  if (metadata.causationId) ce.causationid = metadata.causationId;
  if (metadata.userId) ce.userid = metadata.userId;
  if (metadata.traceparent) ce.traceparent = metadata.traceparent;
  if (metadata.tracestate) ce.tracestate = metadata.tracestate;
  if (metadata.acceptedAt) ce.acceptedat = metadata.acceptedAt;
  const extra = extraMetadata(metadata);
  if (extra) ce.metadata = JSON.stringify(extra);
  if (event.version !== undefined) ce.streamversion = event.version;
  if (isCommittedEvent(event)) {
    ce.position = event.position;
    ce.storedat = event.storedAt;
  }
  return ce;
}

/**
 * Maps a structured CloudEvent onto an envelope and validates it like any envelope. Problems name
 * CloudEvents attributes ("/type", "/aggregateid", "/data/title"), which is what the client sent.
 * A missing `time` becomes now: CloudEvents make it optional, the envelope does not.
 */
export function fromCloudEvent(input: unknown, now: () => string = isoNow): CloudEventMapping {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ field: "", reason: "must be a JSON object (a CloudEvent)" }] };
  }
  const ce = input as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  if (ce["specversion"] !== "1.0") problems.push({ field: "/specversion", reason: 'must be "1.0"' });
  const contentType = ce["datacontenttype"];
  if (contentType !== undefined && !(typeof contentType === "string" && isJson(contentType))) {
    problems.push({ field: "/datacontenttype", reason: "must be application/json" });
  }
  if (ce["data_base64"] !== undefined) {
    problems.push({ field: "/data_base64", reason: "binary data is not supported; send JSON in data" });
  }
  const attributes: CloudEventAttributes = { get: (name) => ce[name], data: ce["data"], time: now };
  const mapped = envelopeFrom(attributes, problems);
  if (!mapped) return { ok: false, problems };
  if (!uuid.test(mapped.eventId)) mapped.eventId = nameBasedUuid(mapped.metadata.source, mapped.eventId);
  const result = validateEnvelope(mapped);
  if (!result.ok) for (const problem of result.problems) problems.push(toAttributeProblem(problem));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, envelope: mapped };
}

export type CloudEventBatchMapping =
  { ok: true; envelopes: (EventEnvelope | CommittedEvent)[] } | { ok: false; problems: FieldProblem[] };

/**
 * A batch (`application/cloudevents-batch+json`): every event mapped, or every problem of every
 * event named by its index ("/1/type", "/0/type" in a batch of one: a pointer into the array).
 */
export function fromCloudEventBatch(input: unknown, now: () => string = isoNow): CloudEventBatchMapping {
  if (!Array.isArray(input)) return { ok: false, problems: [{ field: "/", reason: "must be an array" }] };
  const envelopes: (EventEnvelope | CommittedEvent)[] = [];
  const problems: FieldProblem[] = [];
  input.forEach((item, index) => {
    const mapped = fromCloudEvent(item, now);
    if (mapped.ok) envelopes.push(mapped.envelope);
    else for (const p of mapped.problems) problems.push({ field: `/${index}${p.field}`, reason: p.reason });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, envelopes };
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An RFC 4122 name-based (version 5 style, SHA-1) uuid of the parts, joined by NUL: the same
 * names always give the same id. CloudEvents ids are any string unique within their source, so a
 * resent CloudEvent (source, id) keeps its id; the producer names an Idempotency-Key's events so.
 */
export function nameBasedUuid(...parts: (string | number)[]): string {
  const h = createHash("sha1").update(parts.join("\0")).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.toString("hex", 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const isoNow = (): string => new Date().toISOString();

const isJson = (contentType: string): boolean => {
  const type = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
};

const attributeOf: Record<string, string> = {
  "/eventId": "/id",
  "/eventType": "/type",
  "/timestamp": "/time",
  "/aggregateId": "/aggregateid",
  "/aggregateType": "/aggregatetype",
  "/version": "/streamversion",
  "/schemaVersion": "/dataschema",
  "/metadata/correlationId": "/correlationid",
  "/metadata/causationId": "/causationid",
  "/metadata/userId": "/userid",
  "/metadata/source": "/source",
  "/metadata/traceparent": "/traceparent",
  "/metadata/tracestate": "/tracestate",
};

const toAttributeProblem = (problem: FieldProblem): FieldProblem => {
  const field = attributeOf[problem.field];
  return field ? { field, reason: problem.reason } : problem;
};
