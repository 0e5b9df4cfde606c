import {
  fromKafkaRecord,
  validateEnvelope,
  type EventEnvelope,
  type IngestOrigin,
} from "@eventscope/contracts";
import type { KafkaMessage, Span } from "@eventscope/platform";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An ingest message read as an event, with the span of its processing. */
export interface Incoming {
  message: KafkaMessage;
  envelope: EventEnvelope;
  span: Span;
  /** Set when the envelope breaks the schema: the event is rejected with this reason. */
  invalid?: string;
  /** The events.ingest record it came in (stored with the event). */
  origin?: IngestOrigin;
}

export interface ParsedChunk {
  incoming: Incoming[];
  /** Messages that are no event at all: parked with the reason. */
  malformed: { message: KafkaMessage; reason: string }[];
}

/**
 * Stage 1 of the write path: reads each message as an event and checks it against the schema
 * again (any client can write to Kafka, not only the producer). Never throws for bad input.
 */
export function parseChunk(
  messages: KafkaMessage[],
  startSpan: (message: KafkaMessage, envelope: EventEnvelope) => Span,
  from?: { topic: string },
): ParsedChunk {
  const parsed: ParsedChunk = { incoming: [], malformed: [] };
  for (const message of messages) {
    let envelope: EventEnvelope;
    try {
      envelope = fromKafkaRecord({ key: message.key, value: message.value, headers: message.headers });
    } catch (error) {
      parsed.malformed.push({ message, reason: `malformed: ${(error as Error).message}` });
      continue;
    }
    // Everything the store records is keyed by the event id: without a UUID it can record nothing.
    if (!UUID.test(envelope.eventId)) {
      parsed.malformed.push({ message, reason: "malformed: the event id (ce_id) is not a UUID" });
      continue;
    }
    const item: Incoming = { message, envelope, span: startSpan(message, envelope) };
    if (from) item.origin = { topic: from.topic, partition: message.partition, offset: message.offset };
    const check = validateEnvelope(envelope);
    // Stored in the schema version it was written in: the one it names, else the one it fits.
    if (check.ok) envelope.schemaVersion = check.schemaVersion;
    else item.invalid = check.problems.map((p) => `${p.field} ${p.reason}`).join("; ");
    parsed.incoming.push(item);
  }
  return parsed;
}
