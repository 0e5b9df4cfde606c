// The CloudEvents Kafka protocol binding in binary content mode: the record value is the event's
// data as JSON, every other attribute is a `ce_*` header. Any CloudEvents consumer can read it,
// and consumers that only want the data parse nothing else.
import { envelopeFrom, extraMetadata } from "./cloudevent-attributes.ts";
import { EventscopeError } from "./errors.ts";
import { upcast } from "./upcast.ts";
import { dataSchemaUri, isCommittedEvent, type CommittedEvent, type EventEnvelope } from "./envelope.ts";

export type KafkaRecord = { key: string; value: Buffer; headers: Record<string, string> };

/** A header as Kafka clients hand it over (kafkajs: Buffer, string, an array of them, or nothing). */
export type KafkaHeaderValue = Buffer | string | (Buffer | string)[] | null | undefined;

export type IncomingKafkaRecord = {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, KafkaHeaderValue> | undefined;
  /** Broker timestamp in epoch milliseconds, used only when `ce_time` is missing. */
  timestamp?: string | number;
};

/** A record that cannot be an event. Not retriable: consumers park it with its reason. */
export class MalformedRecordError extends EventscopeError {
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`malformed event record: ${reason}`, { code: "MALFORMED_RECORD", cause: options?.cause });
    this.name = "MalformedRecordError";
    this.reason = reason;
  }
}

export function toKafkaRecord(event: EventEnvelope | CommittedEvent): KafkaRecord {
  const { metadata } = event;
  const headers: Record<string, string> = {
    ce_specversion: "1.0",
    ce_id: event.eventId,
    ce_source: metadata.source,
    ce_type: event.eventType,
    ce_time: event.timestamp,
    ce_subject: `${event.aggregateType}/${event.aggregateId}`,
    ce_aggregatetype: event.aggregateType,
    ce_aggregateid: event.aggregateId,
    ce_correlationid: metadata.correlationId,
    "content-type": "application/json",
  };
  if (metadata.causationId) headers["ce_causationid"] = metadata.causationId;
  if (metadata.userId) headers["ce_userid"] = metadata.userId;
  if (metadata.acceptedAt) headers["ce_acceptedat"] = metadata.acceptedAt;
  // Plain W3C headers (not ce_traceparent): what OpenTelemetry's Kafka propagation reads.
  if (metadata.traceparent) headers["traceparent"] = metadata.traceparent;
  if (metadata.tracestate) headers["tracestate"] = metadata.tracestate;
  const extra = extraMetadata(metadata);
  if (extra) headers["ce_metadata"] = JSON.stringify(extra);
  if (event.version !== undefined) headers["ce_streamversion"] = String(event.version);
  if (event.schemaVersion !== undefined)
    headers["ce_dataschema"] = dataSchemaUri(event.eventType, event.schemaVersion);
  if (isCommittedEvent(event)) {
    headers["ce_position"] = event.position;
    headers["ce_storedat"] = event.storedAt;
  }
  return { key: event.aggregateId, value: Buffer.from(JSON.stringify(event.data)), headers };
}

/** The event a record carries; throws MalformedRecordError when it carries none. */
export function fromKafkaRecord(record: IncomingKafkaRecord): EventEnvelope | CommittedEvent {
  const headers = record.headers ?? {};
  const header = (name: string): string | undefined => decode(headers[name]);
  const specversion = header("ce_specversion");
  if (specversion !== "1.0") {
    throw new MalformedRecordError(
      specversion ? `unsupported ce_specversion ${specversion}` : "ce_specversion header missing",
    );
  }
  const contentType = header("content-type");
  if (contentType !== undefined && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new MalformedRecordError(`content-type ${contentType} is not JSON`);
  }
  const problems: { field: string; reason: string }[] = [];
  const envelope = envelopeFrom(
    {
      get: (name) => header(headerOf[name] ?? `ce_${name}`),
      data: parseValue(record.value),
      time: () => brokerTime(record.timestamp),
      fallbackAggregateId: decode(record.key ?? undefined),
    },
    problems,
  );
  if (!envelope) {
    const reasons = problems.map((p) => `${headerName(p.field)} ${p.reason}`).join("; ");
    throw new MalformedRecordError(reasons);
  }
  return envelope;
}

/**
 * The committed event an events.committed record carries, upcast to the current schema version
 * of its type: how every consumer of the committed topic reads it. Throws MalformedRecordError
 * when the record is no committed event.
 */
export function readCommittedRecord(record: IncomingKafkaRecord): CommittedEvent {
  const event = fromKafkaRecord(record);
  if (!isCommittedEvent(event)) throw new MalformedRecordError("not a committed event: no position");
  return upcast(event);
}

// Constant header names: building "ce_" + name per lookup cost more than the lookup itself.
const headerOf: Record<string, string> = { traceparent: "traceparent", tracestate: "tracestate" };
for (const name of [
  "specversion",
  "id",
  "source",
  "type",
  "time",
  "subject",
  "aggregatetype",
  "aggregateid",
]) {
  headerOf[name] = `ce_${name}`;
}
for (const name of ["correlationid", "causationid", "userid", "acceptedat", "metadata", "streamversion"]) {
  headerOf[name] = `ce_${name}`;
}
for (const name of ["position", "storedat", "dataschema"]) headerOf[name] = `ce_${name}`;

function decode(value: KafkaHeaderValue): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return decode(value[0]);
  return value.toString("utf8");
}

function parseValue(value: Buffer | string | null): Record<string, unknown> {
  if (value === null || value.length === 0) throw new MalformedRecordError("the record has no value");
  let data: unknown;
  try {
    data = JSON.parse(typeof value === "string" ? value : value.toString("utf8"));
  } catch (cause) {
    throw new MalformedRecordError("the value is not JSON", { cause });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new MalformedRecordError("the value is not a JSON object");
  }
  return data as Record<string, unknown>;
}

function brokerTime(timestamp: string | number | undefined): string {
  const ms = Number(timestamp);
  if (timestamp === undefined || !Number.isFinite(ms))
    throw new MalformedRecordError("ce_time header missing");
  return new Date(ms).toISOString();
}

const headerName = (field: string): string =>
  field === "/data"
    ? "value"
    : field === "/traceparent" || field === "/tracestate"
      ? field.slice(1)
      : `ce_${field.slice(1)}`;
