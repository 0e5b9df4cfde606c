import { describe, expect, it } from "vitest";
import { gapReason, sequenceEvents } from "./stream-sequence.ts";

const e = (aggregateId: string, version: number) => ({ aggregateType: "User", aggregateId, version });
const ids = (list: { aggregateId: string; version: number }[]) =>
  list.map((x) => `${x.aggregateId}:${x.version}`);

describe("sequenceEvents: duplicates are skipped, gaps are never taken for duplicates", () => {
  it("applies the next versions, skips those applied before", () => {
    const s = sequenceEvents([e("a", 3), e("a", 4), e("a", 2), e("b", 1)], new Map([["User-a", 2]]));
    expect(ids(s.next)).toEqual(["a:3", "a:4", "b:1"]);
    expect(ids(s.duplicates)).toEqual(["a:2"]);
    expect(s.gaps).toEqual([]);
    expect(s.heads).toEqual(
      new Map([
        ["User-a", 4],
        ["User-b", 1],
      ]),
    );
  });

  it("tells a gap from a duplicate: newer versions ahead of missing ones are gaps, the late ones still apply", () => {
    // The crash case: 31 and 32 arrive before 29 and 30, which were never applied.
    const s = sequenceEvents([e("a", 31), e("a", 32), e("a", 29), e("a", 30)], new Map([["User-a", 28]]));
    expect(ids(s.gaps.map((g) => g.event))).toEqual(["a:31", "a:32"]);
    expect(ids(s.next)).toEqual(["a:29", "a:30"]);
    expect(s.duplicates).toEqual([]);
    expect(gapReason(s.gaps[0]!)).toBe("gap: User-a is at version 28, version 31 came before 29");
  });

  it("takes up a stream stored before versions were recorded where it is, and holds every newer one to 1..n", () => {
    const old = { ...e("old", 7), storedAt: "2026-01-01T00:00:00Z" };
    const fresh = { ...e("new", 3), storedAt: "2026-06-01T00:00:00Z" };
    const s = sequenceEvents([old, { ...old, version: 8 }, fresh], new Map(), {
      trackedSince: Date.parse("2026-03-01T00:00:00Z"),
    });
    expect(ids(s.next)).toEqual(["old:7", "old:8"]);
    expect(s.gaps.map((g) => [g.event.aggregateId, g.expected])).toEqual([["new", 1]]);
  });
});
