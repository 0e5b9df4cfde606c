import { describe, expect, it } from "vitest";
import { dateTimeParam, ifMatchVersion, intParam } from "./params.ts";

const q = (s: string) => new URLSearchParams(s);

describe("strict parameters", () => {
  it("reads plain decimal integers within range only", () => {
    expect(intParam(q("limit=5"), "limit", { fallback: 1, min: 1, max: 10 })).toBe(5);
    expect(intParam(q(""), "limit", { fallback: 7 })).toBe(7);
    expect(intParam(q("limit="), "limit", { fallback: 7 })).toBe(7);
    for (const bad of ["0", "0x10", "1e2", "1.0", "99999999999999999999", "-1", " 5", "11"])
      expect(() =>
        intParam(q(`limit=${encodeURIComponent(bad)}`), "limit", { fallback: 1, min: 1, max: 10 }),
      ).toThrow(/invalid limit/);
  });

  it("reads ISO 8601 dates with four-digit years", () => {
    expect(dateTimeParam(q("at=2024-01-15T10:30:00Z"), "at")).toBe("2024-01-15T10:30:00.000Z");
    expect(dateTimeParam(q("at=2024-01-15"), "at")).toBe("2024-01-15T00:00:00.000Z");
    expect(dateTimeParam(q(""), "at")).toBeUndefined();
    for (const bad of ["99999-01-01", "+099999-01-01", "yesterday", "2024-13-45", "1700000000"])
      expect(() => dateTimeParam(q(`at=${encodeURIComponent(bad)}`), "at")).toThrow(/invalid at/);
  });

  it("parses If-Match as one to nine digits, bare or quoted", () => {
    expect(ifMatchVersion({})).toBeUndefined();
    expect(ifMatchVersion({ "if-match": "3" })).toBe(3);
    expect(ifMatchVersion({ "if-match": '"12"' })).toBe(12);
    expect(ifMatchVersion({ "if-match": "999999999" })).toBe(999_999_999);
    for (const bad of ["", "0x10", "99999999999999999999", "1000000000", "-1", "*", 'W/"1"', "1.0"])
      expect(() => ifMatchVersion({ "if-match": bad })).toThrow(/If-Match/);
  });
});
