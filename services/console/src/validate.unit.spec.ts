import { describe, expect, it } from "vitest";
import { isProblemError } from "@eventscope/platform";
import {
  aggregateType,
  deadLetterId,
  deadLetterService,
  limitParam,
  offsetParam,
  partitionNumber,
  plainId,
  readQuery,
  runId,
  timeParam,
  topicName,
  uuid,
} from "./validate.ts";

/** The problem's field and reason when `work` refuses its input. */
function refusal(work: () => unknown): { field: string; reason: string } {
  try {
    work();
  } catch (error) {
    if (isProblemError(error) && error.status === 400) return error.problems[0]!;
    throw error;
  }
  throw new Error("accepted");
}

describe("console input validation", () => {
  it("takes a UUID in any case and refuses anything else, naming the field", () => {
    expect(uuid("2D73DBE5-CE7C-43D9-8FC9-EAE219263EA8", "eventId")).toBe(
      "2d73dbe5-ce7c-43d9-8fc9-eae219263ea8",
    );
    expect(refusal(() => uuid("2d73dbe5", "eventId"))).toEqual({
      field: "eventId",
      reason: "must be a UUID",
    });
    expect(refusal(() => uuid("", "eventId")).reason).toBe("required");
    expect(refusal(() => uuid("a\u0000b", "eventId")).reason).toMatch(/NUL/);
  });

  it("refuses ids with NUL, control characters, lone surrogates or more than 200 characters", () => {
    expect(plainId("user-1 ünïcode", "userId")).toBe("user-1 ünïcode");
    expect(refusal(() => plainId("x\u0000", "userId")).reason).toMatch(/NUL/);
    expect(refusal(() => plainId("x\u001b[31m", "userId")).reason).toMatch(/control/);
    expect(refusal(() => plainId("\ud800", "correlationId")).reason).toMatch(/surrogate/);
    expect(refusal(() => plainId("x".repeat(201), "aggregateId")).field).toBe("aggregateId");
    expect(refusal(() => aggregateType("Order/../x")).field).toBe("aggregateType");
  });

  it("reads Kafka coordinates strictly", () => {
    expect(topicName("events.committed")).toBe("events.committed");
    for (const bad of ["..", "a/b", "a b", "x".repeat(250), "%2e%2e"])
      expect(refusal(() => topicName(bad)).field).toBe("topic");
    expect(partitionNumber("5")).toBe(5);
    for (const bad of ["-1", "1e3", "99999", "0x1", ""])
      expect(refusal(() => partitionNumber(bad)).field).toBe("partition");
    const q = (s: string) => new URLSearchParams(s);
    expect(offsetParam(q("offset=42"))).toBe(42);
    expect(offsetParam(q(""))).toBeUndefined();
    for (const bad of ["-1", "1.5", "99999999999999999999", "9007199254740993", "abc"])
      expect(refusal(() => offsetParam(q(`offset=${bad}`))).field).toBe("offset");
    expect(timeParam(q("time=2026-01-01T00:00:00Z"))).toBe(Date.UTC(2026, 0, 1));
    expect(refusal(() => timeParam(q("time=yesterday"))).field).toBe("time");
    expect(limitParam(q("limit=5"), 200, 50)).toBe(5);
    expect(refusal(() => limitParam(q("limit=201"), 200, 50)).field).toBe("limit");
    expect(refusal(() => limitParam(q("limit=0"), 200, 50)).field).toBe("limit");
  });

  it("knows the dead-letter services and report ids, nothing else", () => {
    expect(deadLetterService("projection")).toBe("projection");
    expect(deadLetterService("process-manager")).toBe("process-manager");
    expect(refusal(() => deadLetterService("producer")).field).toBe("service");
    expect(deadLetterId("12")).toBe("12");
    expect(refusal(() => deadLetterId("1; DROP")).field).toBe("id");
    expect(runId("20261201-094253-smoke-1882")).toBe("20261201-094253-smoke-1882");
    for (const bad of ["..", "a..b", ".hidden", "a/b", ""])
      expect(refusal(() => runId(bad)).field).toBe("runId");
  });

  it("decodes the query strictly and refuses unknown or repeated parameters", () => {
    expect(readQuery("/api/live?minutes=5", ["minutes"]).get("minutes")).toBe("5");
    expect(refusal(() => readQuery("/api/live?minutes=5&query=up", ["minutes"])).field).toBe("query");
    expect(refusal(() => readQuery("/api/live?minutes=1&minutes=2", ["minutes"])).field).toBe("minutes");
    expect(refusal(() => readQuery("/api/search?userId=%00", ["userId"])).reason).toMatch(/NUL/);
    expect(refusal(() => readQuery("/api/search?userId=%E0%A4%A", ["userId"])).reason).toMatch(
      /percent-encoded/,
    );
  });
});
