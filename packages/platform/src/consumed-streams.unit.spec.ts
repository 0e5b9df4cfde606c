import { describe, expect, it } from "vitest";
import { runsOf } from "./consumed-streams.ts";

const event = (id: string, version: number, storedAt?: string) => ({
  aggregateType: "User",
  aggregateId: id,
  version,
  ...(storedAt ? { storedAt } : {}),
});

describe("runsOf: each stream's versions of a batch as one run", () => {
  it("gives each stream its first and last version, interleaved streams apart", () => {
    expect(runsOf([event("a", 3), event("b", 1), event("a", 4), event("a", 5), event("b", 2)])).toEqual([
      { stream: "User-a", first: 3, last: 5, base: 0 },
      { stream: "User-b", first: 1, last: 2, base: 0 },
    ]);
  });

  it("answers undefined for a stream whose versions do not come in ascending by one", () => {
    expect(runsOf([event("a", 1), event("a", 2), event("a", 2)])).toBeUndefined();
    expect(runsOf([event("a", 1), event("a", 3)])).toBeUndefined();
    expect(runsOf([event("a", 2), event("a", 1)])).toBeUndefined();
  });

  it("takes a stream stored before versions were recorded up at its first version (base)", () => {
    const since = Date.parse("2026-06-01T00:00:00Z");
    expect(
      runsOf([event("a", 7, "2026-05-01T00:00:00Z"), event("b", 7, "2026-07-01T00:00:00Z")], {
        trackedSince: since,
      }),
    ).toEqual([
      { stream: "User-a", first: 7, last: 7, base: 6 },
      { stream: "User-b", first: 7, last: 7, base: 0 },
    ]);
  });
});
