// The Kafka side of the documents: the CloudEvents binding's headers, and the builders a service's
// sends and receives are written with.
import { activityEventTypePattern, domains } from "@eventscope/contracts";
import { eventTypeNames, knownRejectionCodes } from "./events.ts";
import type { Service } from "./openapi.ts";
import type { Json } from "./schema.ts";

export const h = (description: string, extra: Json = {}): Json => ({ type: "string", description, ...extra });

/** The CloudEvents Kafka binary binding's headers (packages/contracts/src/kafka-binding.ts). */
export const envelopeHeaders: Record<string, Json> = {
  ce_specversion: h("CloudEvents spec version", { const: "1.0" }),
  ce_id: h("eventId", { format: "uuid" }),
  ce_source: h("metadata.source: `process-manager` on every event the process manager sends (its steps)", {
    examples: ["eventscope/producer", "process-manager"],
  }),
  ce_type: h("eventType: an enumerated type or a lowercase user-activity type", {
    anyOf: [{ enum: eventTypeNames }, { pattern: activityEventTypePattern }],
  }),
  ce_time: h("timestamp (the event's time)", { format: "date-time" }),
  ce_subject: h("`<aggregateType>/<aggregateId>`", { examples: ["Order/order-123"] }),
  ce_aggregatetype: h("aggregateType", { enum: domains.map((d) => d.aggregateType) }),
  ce_aggregateid: h("aggregateId (also the record key)"),
  ce_correlationid: h("metadata.correlationId"),
  ce_causationid: h(
    "metadata.causationId, when set (on a process manager's step: the event that caused it; none for a timer)",
  ),
  ce_userid: h("metadata.userId, when set"),
  ce_acceptedat: h("metadata.acceptedAt: when the producer accepted the event", { format: "date-time" }),
  ce_metadata: h(
    "Other metadata fields, as a JSON object in a string, when there are any: e.g. `payloadHash`, the " +
      "producer's `sha256:<hex>` of the payload as the client sent it (idempotency)",
  ),
  ce_streamversion: h(
    "version: the expected version + 1 on ingest when the client sent one; the stream version once committed",
    {
      pattern: "^[0-9]+$",
    },
  ),
  ce_dataschema: h(
    "schemaVersion: the schema version the data was written with, as `https://eventscope.dev/schemas/<Type>/v<n>`. " +
      "The store keeps events as written; readers upcast older versions (a domain's upcasters from n to n+1), " +
      "e.g. customer events at v1 carry `name`, at v2 `givenName` and `familyName`",
    { pattern: "^https://eventscope\\.dev/schemas/[A-Za-z]+/v[0-9]+$" },
  ),
  ce_position: h("position: the global position (committed events)", { pattern: "^[0-9]+$" }),
  ce_storedat: h("storedAt: when the store appended it (committed events)", { format: "date-time" }),
  "content-type": h("The value's content type", { const: "application/json" }),
  traceparent: h("W3C trace context (plain header, as OpenTelemetry's Kafka propagation reads it)"),
  tracestate: h("W3C trace state, when set"),
};
export const requiredHeaders = [
  "ce_specversion",
  "ce_id",
  "ce_source",
  "ce_type",
  "ce_time",
  "ce_subject",
  "ce_aggregatetype",
  "ce_aggregateid",
  "ce_correlationid",
  "content-type",
];
export const rejectionHeaders: Record<string, Json> = {
  ce_rejectioncode: h("Why the store refused it: a stable code", { examples: knownRejectionCodes }),
  ce_rejectionreason: h("Why the store refused it, in words"),
};
export const deadLetterHeaders: Record<string, Json> = {
  "x-dead-letter-reason": h("Why the consumer parked it (e.g. `malformed: ce_specversion header missing`)"),
  "x-original-topic": h("Topic it was consumed from"),
  "x-original-partition": h("Partition it was consumed from", { pattern: "^[0-9]+$" }),
  "x-original-offset": h("Offset it had there", { pattern: "^[0-9]+$" }),
};

export const headersSchema = (
  properties: Record<string, Json>,
  required: string[],
  description: string,
): Json => ({
  type: "object",
  description,
  required,
  properties,
});

export const kafkaKey = (description: string): Json => ({
  bindings: { kafka: { key: { type: "string", description }, bindingVersion: "0.5.0" } },
});

/** One service's send to, or receive from, a channel (`groupId`: its consumer group). */
export const asyncOperation = (
  action: "send" | "receive",
  channelName: string,
  message: string,
  service: Service,
  summary: string,
  groupId?: string,
): Json => ({
  action,
  channel: { $ref: `#/channels/${channelName}` },
  summary,
  tags: [{ name: service }],
  messages: [{ $ref: `#/channels/${channelName}/messages/${message}` }],
  bindings: {
    kafka: {
      clientId: { type: "string", enum: [service] },
      ...(groupId ? { groupId: { type: "string", enum: [groupId] } } : {}),
      bindingVersion: "0.5.0",
    },
  },
});
