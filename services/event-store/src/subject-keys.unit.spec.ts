import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecretBox, parseSecretKey } from "@eventscope/platform";
import {
  demoPiiMasterKey,
  openPersonalData,
  openPersonalState,
  sealPersonalData,
  sealPersonalState,
  withholdPersonalData,
  type SubjectKey,
} from "./subject-keys.ts";

const event = {
  eventType: "CustomerCreated",
  aggregateId: "c-1",
  data: { givenName: "Ada", familyName: "Lovelace", email: "ada@example.com", preferences: undefined },
};
const key = randomBytes(32);
const keys = new Map<string, SubjectKey>([["c-1", key]]);
// The subject's key as subject_keys holds it: wrapped with the (demo) master key, bound to the subject.
const wrapped = createSecretBox(parseSecretKey(demoPiiMasterKey), "PII_MASTER_KEY").seal(
  key.toString("base64"),
  "c-1",
);

describe("personal data sealing", () => {
  it("seals exactly the declared personal fields, and opens them with the subject's key", () => {
    const { data, subject } = sealPersonalData(event, keys);
    expect(subject).toBe("c-1");
    expect(JSON.stringify(data)).not.toContain("ada@example.com");
    expect(JSON.stringify(data)).not.toContain("Lovelace");
    expect(data.email).toMatch(/^pii1\./);
    expect(openPersonalData({ ...event, data }, "c-1", wrapped)).toEqual(event.data);
  });

  it('reads "[erased]" once the key is gone, and seals nothing for an erased subject', () => {
    const { data } = sealPersonalData(event, keys);
    expect(openPersonalData({ ...event, data }, "c-1", null)).toMatchObject({
      givenName: "[erased]",
      familyName: "[erased]",
      email: "[erased]",
    });
    const erased = sealPersonalData(event, new Map([["c-1", "erased"]]));
    expect(erased.data).toMatchObject({ givenName: "[erased]", email: "[erased]" });
  });

  it("does not open a value sealed for another subject", () => {
    const { data } = sealPersonalData(event, keys);
    const other = createSecretBox(parseSecretKey(demoPiiMasterKey), "PII_MASTER_KEY").seal(
      key.toString("base64"),
      "c-2",
    );
    expect(() => openPersonalData({ ...event, aggregateId: "c-2", data }, "c-2", other)).toThrow();
  });

  it("leaves events without personal data as they are", () => {
    const task = { eventType: "TaskCreated", aggregateId: "t-1", data: { title: "x" } };
    expect(sealPersonalData(task, keys)).toEqual({ data: task.data, subject: null });
    const rejected = {
      ...event,
      aggregateType: "Customer",
      eventId: "e",
      timestamp: "2025-01-01T00:00:00Z",
      metadata: { correlationId: "c", source: "s" },
    };
    expect(withholdPersonalData(rejected).data).toMatchObject({
      email: "[withheld]",
      givenName: "[withheld]",
    });
  });

  it("seals a snapshot's personal state fields alike", () => {
    const state = { customerId: "c-1", status: "Active", email: "ada@example.com", phone: null };
    const sealed = sealPersonalState(state, ["email", "phone"], "c-1", key) as Record<string, unknown>;
    expect(sealed.email).toMatch(/^pii1\./);
    expect(sealed.phone).toBeNull();
    expect(openPersonalState(sealed, ["email", "phone"], "c-1", wrapped)).toEqual(state);
    expect(openPersonalState(sealed, ["email", "phone"], "c-1", null)).toMatchObject({ email: "[erased]" });
  });
});
