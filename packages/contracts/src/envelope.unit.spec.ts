import { describe, expect, it } from "vitest";
import { normalizeEnvelope, type FieldProblem } from "./envelope.ts";
import { validateEnvelope } from "./validation.ts";

const valid = () => ({
  eventId: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  eventType: "OrderCreated",
  aggregateId: "order-123",
  aggregateType: "Order",
  timestamp: "2024-01-15T10:30:00Z",
  version: 1,
  data: { customerId: "c-1", items: [{ productId: "p-1", quantity: 2, unitPrice: 5 }], totalAmount: 10 },
  metadata: {
    correlationId: "correlation-uuid",
    causationId: null,
    userId: "user-123",
    source: "OrderService",
  },
});

const problemsOf = (input: unknown): FieldProblem[] => {
  const result = validateEnvelope(input);
  return result.ok ? [] : result.problems;
};

describe("validateEnvelope", () => {
  it("accepts the seed's envelope and returns it as is", () => {
    const input = valid();
    expect(validateEnvelope(input)).toEqual({ ok: true, envelope: input, schemaVersion: 1 });
    expect((validateEnvelope(input) as { envelope: unknown }).envelope).toBe(input);
  });

  it("accepts a minimal envelope: id, time and metadata are filled in later", () => {
    const input = {
      eventType: "TaskCreated",
      aggregateId: "t-1",
      aggregateType: "Task",
      data: { title: "x" },
    };
    expect(validateEnvelope(input).ok).toBe(true);
  });

  it("names each missing field", () => {
    expect(problemsOf({ data: {} })).toEqual([
      { field: "/eventType", reason: "is required" },
      { field: "/aggregateId", reason: "is required" },
      { field: "/aggregateType", reason: "is required" },
    ]);
  });

  it("names fields of the wrong type", () => {
    expect(problemsOf({ ...valid(), aggregateId: 42, version: "1", metadata: { source: 3 } })).toEqual([
      { field: "/aggregateId", reason: "must be string" },
      { field: "/version", reason: "must be integer" },
      { field: "/metadata/source", reason: "must be string" },
    ]);
    expect(problemsOf({ ...valid(), data: "text" })).toEqual([{ field: "/data", reason: "must be object" }]);
    expect(problemsOf([])).toEqual([{ field: "", reason: "must be object" }]);
    expect(problemsOf(null)).toEqual([{ field: "", reason: "must be object" }]);
  });

  it("rejects a bad uuid, timestamp, version, aggregate id and traceparent", () => {
    const input = {
      ...valid(),
      eventId: "not-a-uuid",
      timestamp: "yesterday",
      version: 0,
      aggregateId: "x".repeat(201),
      metadata: { traceparent: "00-abc" },
    };
    expect(problemsOf(input)).toEqual([
      { field: "/eventId", reason: 'must match format "uuid"' },
      { field: "/aggregateId", reason: "must NOT have more than 200 characters" },
      { field: "/timestamp", reason: 'must match format "date-time"' },
      { field: "/version", reason: "must be >= 1" },
      { field: "/metadata/traceparent", reason: expect.stringContaining("must match pattern") },
    ]);
    expect(problemsOf({ ...valid(), aggregateId: "" })).toEqual([
      { field: "/aggregateId", reason: "must NOT have fewer than 1 characters" },
    ]);
  });

  it("rejects an unknown event type", () => {
    expect(problemsOf({ ...valid(), eventType: "OrderTeleported" })).toEqual([
      { field: "/eventType", reason: 'unknown event type "OrderTeleported"' },
    ]);
  });

  it("rejects an aggregate type that is not the event type's", () => {
    expect(problemsOf({ ...valid(), aggregateType: "Cart" })).toEqual([
      { field: "/aggregateType", reason: 'must be "Order" for event type OrderCreated' },
    ]);
    expect(problemsOf({ ...valid(), eventType: "login", data: {} })).toEqual([
      { field: "/aggregateType", reason: 'must be "User" for event type login' },
    ]);
  });

  it("checks data against the event type's schema, naming each field", () => {
    const data = {
      customerId: "",
      items: [{ productId: "p-1", quantity: 0, unitPrice: -1, colour: "red" }],
      total: 3,
    };
    expect(problemsOf({ ...valid(), data })).toEqual([
      { field: "/data/totalAmount", reason: "is required" },
      { field: "/data/total", reason: "is not allowed" },
      { field: "/data/customerId", reason: "must NOT have fewer than 1 characters" },
      { field: "/data/items/0/colour", reason: "is not allowed" },
      { field: "/data/items/0/quantity", reason: "must be >= 1" },
      { field: "/data/items/0/unitPrice", reason: "must be >= 0" },
    ]);
  });

  it("checks a missing data object as empty, so required data fields are named", () => {
    const { data: _data, ...input } = { ...valid(), eventType: "CustomerCreated", aggregateType: "Customer" };
    expect(problemsOf(input)).toEqual([
      { field: "/data/givenName", reason: "is required" },
      { field: "/data/email", reason: "is required" },
    ]);
  });

  it("validates formats inside data", () => {
    const input = { ...valid(), eventType: "CustomerEmailChanged", aggregateType: "Customer" };
    expect(problemsOf({ ...input, data: { email: "not-an-email" } })).toEqual([
      { field: "/data/email", reason: 'must match format "email"' },
    ]);
    const task = { eventType: "TaskCreated", aggregateId: "t", aggregateType: "Task" };
    expect(problemsOf({ ...task, data: { title: "t", dueDate: "2025-01-31T09:00:00" } })).toEqual([]);
    expect(problemsOf({ ...task, data: { title: "t", dueDate: "soon" } })).toEqual([
      { field: "/data/dueDate", reason: 'must match format "date-or-date-time"' },
    ]);
  });

  it("requires at least one field in an update", () => {
    const input = { eventType: "TaskUpdated", aggregateId: "t", aggregateType: "Task", data: {} };
    expect(problemsOf(input)).toEqual([{ field: "/data", reason: "must have at least 1 field(s)" }]);
  });

  it("runs the domain's invariants: an order total must match its items", () => {
    expect(problemsOf({ ...valid(), data: { ...valid().data, totalAmount: 11 } })).toEqual([
      { field: "/data/totalAmount", reason: "must equal the sum of the items (10.00), got 11" },
    ]);
  });

  it("accepts any object as user activity data", () => {
    const input = { eventType: "page_view", aggregateId: "user123", aggregateType: "User", data: { a: [1] } };
    expect(problemsOf(input)).toEqual([]);
    expect(problemsOf({ ...input, data: undefined })).toEqual([]);
  });
});

describe("normalizeEnvelope", () => {
  const options = { now: () => "2025-01-01T00:00:00.000Z", newId: () => "id-1", source: "producer" };

  it("fills eventId, timestamp, data, correlation id and source", () => {
    const input = { eventType: "TaskCompleted", aggregateId: "t-1", aggregateType: "Task", extra: 1 };
    expect(normalizeEnvelope(input, options)).toEqual({
      eventId: "id-1",
      eventType: "TaskCompleted",
      aggregateId: "t-1",
      aggregateType: "Task",
      timestamp: "2025-01-01T00:00:00.000Z",
      data: {},
      metadata: { correlationId: "id-1", source: "producer" },
    });
  });

  it("keeps what the client sent, metadata extras included", () => {
    const input = valid();
    const metadata = { ...input.metadata, tenant: "acme" };
    expect(normalizeEnvelope({ ...input, metadata }, options)).toEqual({ ...input, metadata });
  });

  it("defaults to a random uuid and the current time", () => {
    const envelope = normalizeEnvelope({ eventType: "login", aggregateId: "u", aggregateType: "User" });
    expect(validateEnvelope(envelope).ok).toBe(true);
    expect(envelope.metadata).toEqual({ correlationId: envelope.eventId, source: "eventscope" });
  });
});
