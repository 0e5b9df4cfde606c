// A batch of `events.committed` records as the read side takes it: each record decoded into a
// committed event with its consumer span started, or parked as malformed (counted) so that the
// rest of the batch goes on. The projection and the process manager read their batches with it.
import type { Tracer } from "@opentelemetry/api";
import type { KafkaMessage } from "./kafka/types.ts";
import { readCommittedRecord, type CommittedEvent } from "@eventscope/contracts";
import type { DeadLetters } from "./dead-letters.ts";
import type { Metrics } from "./metrics.ts";
import { startConsumerSpan, type Span } from "./telemetry.ts";

export interface CommittedBatch {
  events: CommittedEvent[];
  /** Each event's consumer span (of those `traced` takes), by event id: the caller ends them. */
  spans: Map<string, Span>;
  /** The record each event came in, by event id (to park it later). */
  messageOf: Map<string, KafkaMessage>;
}

export async function readCommittedBatch(options: {
  topic: string;
  group: string;
  /** Of one partition or several: each message names its own. */
  messages: KafkaMessage[];
  tracer: Tracer;
  metrics: Metrics;
  deadLetters: Pick<DeadLetters, "park">;
  /**
   * Which events get a consumer span (all when not given): a consumer that only records the
   * version of an event it has nothing to do with need not add a span to that event's trace.
   */
  traced?: (event: CommittedEvent) => boolean;
}): Promise<CommittedBatch> {
  const { topic, group, tracer, metrics, deadLetters, traced } = options;
  const batch: CommittedBatch = { events: [], spans: new Map(), messageOf: new Map() };
  for (const message of options.messages) {
    const { partition } = message;
    let event;
    try {
      // Upcast to the current schema version of its type, as every reader of the topic gets it.
      event = readCommittedRecord({ key: message.key, value: message.value, headers: message.headers });
    } catch (error) {
      await deadLetters.park({ topic, partition, message }, `malformed: ${(error as Error).message}`);
      metrics.consumeErrors.inc({ topic, group, reason: "malformed" });
      continue;
    }
    batch.events.push(event);
    batch.messageOf.set(event.eventId, message);
    if (traced && !traced(event)) continue;
    batch.spans.set(
      event.eventId,
      startConsumerSpan(tracer, {
        topic,
        partition,
        group,
        offset: message.offset,
        headers: message.headers,
        event,
      }),
    );
  }
  return batch;
}
