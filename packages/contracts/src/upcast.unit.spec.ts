import { describe, expect, it } from "vitest";
import { fromCloudEvent, toCloudEvent } from "./cloudevents.ts";
import { customers } from "./domains/customers.ts";
import { splitFullName } from "./domains/customer-names.ts";
import { dataSchemaUri, normalizeEnvelope, schemaVersionIn, type CommittedEvent } from "./envelope.ts";
import { fromKafkaRecord, readCommittedRecord, toKafkaRecord } from "./kafka-binding.ts";
import { rehydrate } from "./registry.ts";
import { earlierEventSchemas } from "./schemas.ts";
import { currentSchemaVersion, upcast } from "./upcast.ts";
import { validateEnvelope } from "./validation.ts";

const committed = (
  eventType: string,
  data: Record<string, unknown>,
  version: number,
  schemaVersion?: number,
): CommittedEvent => ({
  eventId: crypto.randomUUID(),
  eventType,
  aggregateId: "c-1",
  aggregateType: "Customer",
  timestamp: `2025-01-0${version}T10:00:00.000Z`,
  version,
  position: String(version),
  storedAt: `2025-01-0${version}T10:00:00.000Z`,
  data,
  metadata: { correlationId: "corr", source: "spec" },
  ...(schemaVersion === undefined ? {} : { schemaVersion }),
});

describe("splitFullName", () => {
  it("splits at the first space, the rest being the family name", () => {
    expect(splitFullName("Ada Lovelace")).toEqual({ givenName: "Ada", familyName: "Lovelace" });
    expect(splitFullName("Ada King Lovelace")).toEqual({ givenName: "Ada", familyName: "King Lovelace" });
    expect(splitFullName("  Ada   Lovelace ")).toEqual({ givenName: "Ada", familyName: "Lovelace" });
  });

  it("takes a name without a space as the given name alone", () => {
    expect(splitFullName("Cher")).toEqual({ givenName: "Cher" });
  });
});

describe("upcast", () => {
  it("knows the current version of each type: 2 for the customer events with a name, else 1", () => {
    expect(currentSchemaVersion("CustomerCreated")).toBe(2);
    expect(currentSchemaVersion("CustomerUpdated")).toBe(2);
    expect(currentSchemaVersion("CustomerEmailChanged")).toBe(1);
    expect(currentSchemaVersion("OrderCreated")).toBe(1);
    expect(Object.keys(earlierEventSchemas()).sort()).toEqual([
      "CustomerCreated",
      "CustomerRegistered",
      "CustomerUpdated",
    ]);
  });

  it("turns a v1 CustomerCreated into v2, an event without a version counting as v1", () => {
    const v1 = committed("CustomerCreated", { name: "Ada Lovelace", email: "ada@example.com" }, 1);
    expect(upcast(v1)).toEqual({
      ...v1,
      schemaVersion: 2,
      data: { givenName: "Ada", familyName: "Lovelace", email: "ada@example.com" },
    });
    expect(v1.data).toEqual({ name: "Ada Lovelace", email: "ada@example.com" });
  });

  it("gives a one-word v1 update no family name, clearing the old one", () => {
    const v1 = committed("CustomerUpdated", { name: "Cher", phone: "+33 1 23 45 67" }, 2, 1);
    expect(upcast(v1).data).toEqual({ givenName: "Cher", familyName: null, phone: "+33 1 23 45 67" });
  });

  it("returns an event already current as it is", () => {
    const v2 = committed("CustomerCreated", { givenName: "Ada", email: "ada@example.com" }, 1, 2);
    expect(upcast(v2)).toBe(v2);
    const plain = committed("CustomerEmailChanged", { email: "a@b.io" }, 2, 1);
    expect(upcast(plain)).toBe(plain);
  });

  it("folds a v1 history and the same history in v2 into the same state", () => {
    const v1 = [
      committed("CustomerCreated", { name: "Ada Lovelace", email: "ada@example.com" }, 1, 1),
      committed("CustomerUpdated", { name: "Ada King" }, 2, 1),
    ];
    const v2 = [
      committed(
        "CustomerCreated",
        { givenName: "Ada", familyName: "Lovelace", email: "ada@example.com" },
        1,
        2,
      ),
      committed("CustomerUpdated", { givenName: "Ada", familyName: "King" }, 2, 2),
    ];
    const fold = (events: CommittedEvent[]) => rehydrate(customers, events.map(upcast));
    expect(fold(v1)).toEqual(fold(v2));
    expect(fold(v1)).toMatchObject({ name: "Ada King", givenName: "Ada", familyName: "King" });
  });
});

describe("schema versions at the door", () => {
  const envelope = (data: Record<string, unknown>, schemaVersion?: number) => ({
    eventType: "CustomerCreated",
    aggregateId: "c-1",
    aggregateType: "Customer",
    data,
    ...(schemaVersion === undefined ? {} : { schemaVersion }),
  });

  it("reads data without a version as the newest version it fits", () => {
    expect(validateEnvelope(envelope({ givenName: "Ada", email: "a@b.io" }))).toMatchObject({
      ok: true,
      schemaVersion: 2,
    });
    expect(validateEnvelope(envelope({ name: "Ada Lovelace", email: "a@b.io" }))).toMatchObject({
      ok: true,
      schemaVersion: 1,
    });
  });

  it("checks data against the version the envelope names", () => {
    expect(validateEnvelope(envelope({ givenName: "Ada", email: "a@b.io" }, 1))).toEqual({
      ok: false,
      problems: [
        { field: "/data/name", reason: "is required" },
        { field: "/data/givenName", reason: "is not allowed" },
      ],
    });
    expect(validateEnvelope(envelope({ givenName: "Ada", email: "a@b.io" }, 3))).toEqual({
      ok: false,
      problems: [{ field: "/schemaVersion", reason: "CustomerCreated has schema versions 1 to 2, not 3" }],
    });
  });

  it("carries the version as the CloudEvents dataschema, in both modes", () => {
    const event = normalizeEnvelope({ ...envelope({ name: "Ada", email: "a@b.io" }), schemaVersion: 1 });
    expect(dataSchemaUri("CustomerCreated", 1)).toBe("https://eventscope.dev/schemas/CustomerCreated/v1");
    expect(toKafkaRecord(event).headers["ce_dataschema"]).toBe(dataSchemaUri("CustomerCreated", 1));
    expect(fromKafkaRecord(toKafkaRecord(event)).schemaVersion).toBe(1);
    const ce = toCloudEvent(event);
    expect(ce.dataschema).toBe(dataSchemaUri("CustomerCreated", 1));
    expect(fromCloudEvent(ce)).toMatchObject({ ok: true, envelope: { schemaVersion: 1 } });
    expect(
      schemaVersionIn("https://eventscope.dev/schemas/OrderCreated/v1", "CustomerCreated"),
    ).toBeUndefined();
  });

  it("refuses a dataschema that names no version of the type", () => {
    const ce = { ...toCloudEvent(normalizeEnvelope(envelope({ givenName: "Ada", email: "a@b.io" }))) };
    ce.dataschema = "https://example.com/customer.json";
    expect(fromCloudEvent(ce)).toEqual({
      ok: false,
      problems: [
        {
          field: "/dataschema",
          reason: "must be https://eventscope.dev/schemas/CustomerCreated/v1 (or another /v<n>)",
        },
      ],
    });
  });

  it("reads a committed record upcast: what every consumer of events.committed gets", () => {
    const v1 = committed("CustomerCreated", { name: "Ada Lovelace", email: "ada@example.com" }, 1, 1);
    const read = readCommittedRecord(toKafkaRecord(v1));
    expect(read.schemaVersion).toBe(2);
    expect(read.data).toEqual({ givenName: "Ada", familyName: "Lovelace", email: "ada@example.com" });
    const { position: _p, ...notCommitted } = v1;
    expect(() => readCommittedRecord(toKafkaRecord(notCommitted))).toThrow(/no position/);
  });
});
