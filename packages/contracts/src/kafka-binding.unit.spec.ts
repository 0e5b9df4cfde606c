import { describe, expect, it } from "vitest";
import type { CommittedEvent, EventEnvelope } from "./envelope.ts";
import {
  fromKafkaRecord,
  MalformedRecordError,
  toKafkaRecord,
  type KafkaHeaderValue,
} from "./kafka-binding.ts";

const envelope: EventEnvelope = {
  eventId: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  eventType: "TaskCreated",
  aggregateId: "task-1",
  aggregateType: "Task",
  timestamp: "2024-01-15T10:30:00.000Z",
  version: 1,
  data: { title: "Ship it", assignee: "ana" },
  metadata: {
    correlationId: "corr-1",
    causationId: "cause-1",
    userId: "user-1",
    source: "producer",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    tracestate: "vendor=1",
    acceptedAt: "2024-01-15T10:30:00.010Z",
  },
};
const committed: CommittedEvent = {
  ...envelope,
  version: 7,
  position: "123456789012345678",
  storedAt: "2024-01-15T10:30:00.020Z",
};

// As kafkajs hands a consumed message over: Buffers everywhere.
const asConsumed = (record: ReturnType<typeof toKafkaRecord>) => ({
  key: Buffer.from(record.key),
  value: record.value,
  headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v)])),
  timestamp: "1705314600000",
});

describe("toKafkaRecord", () => {
  it("keys by aggregate id, puts the data in the value and the rest in ce_* headers", () => {
    const record = toKafkaRecord(committed);
    expect(record.key).toBe("task-1");
    expect(JSON.parse(record.value.toString())).toEqual(envelope.data);
    expect(record.headers).toEqual({
      ce_specversion: "1.0",
      ce_id: envelope.eventId,
      ce_source: "producer",
      ce_type: "TaskCreated",
      ce_time: "2024-01-15T10:30:00.000Z",
      ce_subject: "Task/task-1",
      ce_aggregatetype: "Task",
      ce_aggregateid: "task-1",
      ce_correlationid: "corr-1",
      ce_causationid: "cause-1",
      ce_userid: "user-1",
      ce_acceptedat: "2024-01-15T10:30:00.010Z",
      ce_streamversion: "7",
      ce_position: "123456789012345678",
      ce_storedat: "2024-01-15T10:30:00.020Z",
      "content-type": "application/json",
      traceparent: envelope.metadata.traceparent,
      tracestate: "vendor=1",
    });
  });
});

describe("fromKafkaRecord", () => {
  it("round-trips an envelope and a committed event through Buffer headers", () => {
    expect(fromKafkaRecord(asConsumed(toKafkaRecord(envelope)))).toEqual(envelope);
    expect(fromKafkaRecord(asConsumed(toKafkaRecord(committed)))).toEqual(committed);
  });

  it("round-trips string headers and extra metadata", () => {
    const withExtra = { ...envelope, metadata: { ...envelope.metadata, tenant: "acme" } };
    expect(fromKafkaRecord(toKafkaRecord(withExtra))).toEqual(withExtra);
  });

  it("reads headers given as arrays, and falls back to the subject, the key and the broker time", () => {
    const headers: Record<string, KafkaHeaderValue> = {
      ce_specversion: [Buffer.from("1.0")],
      ce_id: "e-1",
      ce_source: "legacy",
      ce_type: "login",
      ce_aggregateid: undefined,
    };
    const event = fromKafkaRecord({
      key: Buffer.from("user123"),
      value: Buffer.from("{}"),
      headers,
      timestamp: 0,
    });
    expect(event).toEqual({
      eventId: "e-1",
      eventType: "login",
      aggregateId: "user123",
      aggregateType: "User",
      timestamp: "1970-01-01T00:00:00.000Z",
      data: {},
      metadata: { correlationId: "e-1", source: "legacy" },
    });
    const bySubject = fromKafkaRecord({
      key: null,
      value: "{}",
      headers: { ...headers, ce_subject: "Order/o-1", ce_time: "2024-01-01T00:00:00Z" },
    });
    expect([bySubject.aggregateType, bySubject.aggregateId, bySubject.timestamp]).toEqual([
      "Order",
      "o-1",
      "2024-01-01T00:00:00Z",
    ]);
  });

  const malformed = (record: Parameters<typeof fromKafkaRecord>[0]): MalformedRecordError => {
    try {
      fromKafkaRecord(record);
    } catch (error) {
      if (error instanceof MalformedRecordError) return error;
      throw error;
    }
    throw new Error("expected a MalformedRecordError");
  };

  it("rejects records that are not CloudEvents, saying why", () => {
    const good = asConsumed(toKafkaRecord(committed));
    const without = (name: string) => ({ ...good, headers: { ...good.headers, [name]: undefined } });
    expect(malformed({ ...good, headers: undefined }).reason).toBe("ce_specversion header missing");
    expect(malformed(without("ce_id")).reason).toBe("ce_id is required");
    expect(
      malformed({ ...without("ce_type"), headers: { ...without("ce_type").headers, ce_source: undefined } })
        .reason,
    ).toBe("ce_source is required; ce_type is required");
    expect(
      malformed({ ...good, headers: { ...good.headers, ce_streamversion: Buffer.from("-1") } }).reason,
    ).toBe("ce_streamversion must be a positive integer");
    expect(malformed({ ...without("ce_time"), timestamp: undefined }).reason).toBe("ce_time header missing");
  });

  it("rejects a value that is not a JSON object", () => {
    const good = asConsumed(toKafkaRecord(envelope));
    expect(malformed({ ...good, value: Buffer.from("{not json") }).reason).toBe("the value is not JSON");
    expect(malformed({ ...good, value: Buffer.from("[1]") }).reason).toBe("the value is not a JSON object");
    expect(malformed({ ...good, value: null }).reason).toBe("the record has no value");
    const error = malformed({ ...good, headers: { ...good.headers, "content-type": "text/plain" } });
    expect(error).toMatchObject({
      code: "MALFORMED_RECORD",
      retriable: false,
      reason: "content-type text/plain is not JSON",
    });
  });
});
