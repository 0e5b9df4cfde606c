import { describe, expect, it } from "vitest";
import { fromCloudEvent, fromCloudEventBatch, toCloudEvent } from "./cloudevents.ts";
import type { CommittedEvent, EventEnvelope } from "./envelope.ts";

const envelope: EventEnvelope = {
  eventId: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  eventType: "OrderShipped",
  aggregateId: "order/123",
  aggregateType: "Order",
  timestamp: "2024-01-15T10:30:00.000Z",
  data: { trackingNumber: "TRK-1" },
  metadata: {
    correlationId: "corr-1",
    causationId: "cause-1",
    userId: "user-1",
    source: "OrderService",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    tracestate: "vendor=1",
  },
};
const committed: CommittedEvent = {
  ...envelope,
  version: 4,
  position: "9007199254740993",
  storedAt: "2024-01-15T10:30:01.000Z",
};

describe("toCloudEvent", () => {
  it("maps the envelope onto CloudEvents 1.0 attributes and lowercase extensions", () => {
    expect(toCloudEvent(committed)).toEqual({
      specversion: "1.0",
      id: envelope.eventId,
      source: "OrderService",
      type: "OrderShipped",
      subject: "Order/order/123",
      time: "2024-01-15T10:30:00.000Z",
      datacontenttype: "application/json",
      data: { trackingNumber: "TRK-1" },
      aggregatetype: "Order",
      aggregateid: "order/123",
      correlationid: "corr-1",
      causationid: "cause-1",
      userid: "user-1",
      traceparent: envelope.metadata.traceparent,
      tracestate: "vendor=1",
      streamversion: 4,
      position: "9007199254740993",
      storedat: "2024-01-15T10:30:01.000Z",
    });
  });

  it("leaves out absent optional attributes", () => {
    const minimal = { ...envelope, metadata: { correlationId: "c", source: "s", causationId: null } };
    expect(Object.keys(toCloudEvent(minimal))).not.toContain("causationid");
  });
});

describe("fromCloudEvent", () => {
  it("round-trips an envelope and a committed event", () => {
    expect(fromCloudEvent(toCloudEvent(envelope))).toEqual({ ok: true, envelope });
    expect(fromCloudEvent(toCloudEvent(committed))).toEqual({ ok: true, envelope: committed });
  });

  it("round-trips metadata fields that have no attribute of their own", () => {
    const withExtras = {
      ...envelope,
      metadata: { ...envelope.metadata, acceptedAt: "2024-01-15T10:30:00.100Z", tenant: "acme" },
    };
    const ce = toCloudEvent(withExtras);
    expect(ce.metadata).toBe('{"tenant":"acme"}');
    expect(fromCloudEvent(ce)).toEqual({ ok: true, envelope: withExtras });
  });

  it("maps a minimal CloudEvent: aggregate from the subject, defaults for the rest", () => {
    const ce = {
      specversion: "1.0",
      id: "e-1",
      source: "/shop",
      type: "OrderDelivered",
      subject: "Order/o-9",
    };
    expect(fromCloudEvent(ce, () => "2025-01-01T00:00:00.000Z")).toEqual({
      ok: true,
      envelope: {
        eventId: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        ),
        eventType: "OrderDelivered",
        aggregateId: "o-9",
        aggregateType: "Order",
        timestamp: "2025-01-01T00:00:00.000Z",
        data: {},
        metadata: { correlationId: "e-1", source: "/shop" },
      },
    });
  });

  it("turns a non-uuid id into the same uuid each time, distinct per source", () => {
    const id = (source: string, ceId: string) => {
      const mapped = fromCloudEvent({ specversion: "1.0", id: ceId, source, type: "logout", subject: "u1" });
      return mapped.ok ? mapped.envelope.eventId : undefined;
    };
    expect(id("app", "e-1")).toBe(id("app", "e-1"));
    expect(id("app", "e-1")).not.toBe(id("web", "e-1"));
    expect(id("app", envelope.eventId)).toBe(envelope.eventId);
  });

  it("takes a bare subject as the aggregate id and the type's domain as its aggregate type", () => {
    const ce = {
      specversion: "1.0",
      id: "e-2",
      source: "app",
      type: "login",
      subject: "user123",
      time: "2025-01-01T00:00:00Z",
    };
    const mapped = fromCloudEvent(ce);
    expect(mapped.ok && [mapped.envelope.aggregateType, mapped.envelope.aggregateId]).toEqual([
      "User",
      "user123",
    ]);
  });

  it("names missing required attributes", () => {
    expect(fromCloudEvent({ data: {} })).toEqual({
      ok: false,
      problems: [
        { field: "/specversion", reason: 'must be "1.0"' },
        { field: "/id", reason: "is required" },
        { field: "/source", reason: "is required" },
        { field: "/type", reason: "is required" },
        { field: "/aggregateid", reason: "is required (or a subject Type/id)" },
        { field: "/aggregatetype", reason: "is required for this type" },
      ],
    });
    expect(fromCloudEvent("text")).toMatchObject({ ok: false, problems: [{ field: "" }] });
  });

  it("reports envelope problems under the CloudEvents attribute names", () => {
    const ce = { ...toCloudEvent(envelope), type: "OrderTeleported" };
    expect(fromCloudEvent(ce)).toEqual({
      ok: false,
      problems: [{ field: "/type", reason: 'unknown event type "OrderTeleported"' }],
    });
    const wrong = { ...toCloudEvent(envelope), correlationid: "c".repeat(201), time: "later", data: {} };
    expect(fromCloudEvent(wrong)).toEqual({
      ok: false,
      problems: [
        { field: "/time", reason: 'must match format "date-time"' },
        { field: "/correlationid", reason: "must NOT have more than 200 characters" },
        { field: "/data/trackingNumber", reason: "is required" },
      ],
    });
  });

  it("rejects non-JSON content", () => {
    const ce = { ...toCloudEvent(envelope), datacontenttype: "text/plain", data_base64: "AAAA" };
    expect(fromCloudEvent(ce)).toMatchObject({
      ok: false,
      problems: [{ field: "/datacontenttype" }, { field: "/data_base64" }],
    });
    expect(
      fromCloudEvent({ ...toCloudEvent(envelope), datacontenttype: "application/json; charset=utf-8" }).ok,
    ).toBe(true);
  });
});

describe("fromCloudEventBatch", () => {
  it("maps every event of a batch, or names each problem by index", () => {
    const batch = [toCloudEvent(envelope), toCloudEvent(committed)];
    expect(fromCloudEventBatch(batch)).toEqual({ ok: true, envelopes: [envelope, committed] });
    expect(
      fromCloudEventBatch([toCloudEvent(envelope), { ...toCloudEvent(envelope), specversion: "0.3" }]),
    ).toEqual({
      ok: false,
      problems: [{ field: "/1/specversion", reason: 'must be "1.0"' }],
    });
    expect(fromCloudEventBatch({})).toMatchObject({ ok: false });
  });

  it("names every invalid event's problems, by index even in a batch of one, and refuses a non-array", () => {
    const bad = { ...toCloudEvent(envelope), specversion: "0.3" };
    expect(fromCloudEventBatch([bad])).toEqual({
      ok: false,
      problems: [{ field: "/0/specversion", reason: 'must be "1.0"' }],
    });
    expect(fromCloudEventBatch([bad, toCloudEvent(envelope), bad])).toEqual({
      ok: false,
      problems: [
        { field: "/0/specversion", reason: 'must be "1.0"' },
        { field: "/2/specversion", reason: 'must be "1.0"' },
      ],
    });
    expect(fromCloudEventBatch(toCloudEvent(envelope))).toEqual({
      ok: false,
      problems: [{ field: "/", reason: "must be an array" }],
    });
  });
});
