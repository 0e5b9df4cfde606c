import { describe, expect, it } from "vitest";
import { ProblemError } from "@eventscope/platform";
import { asOfParam, freshnessParams } from "./fresh-reads.ts";

const MAX_WAIT = 5000;
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const params = (query: string) => freshnessParams(new URLSearchParams(query), MAX_WAIT);

/** The fields and reasons of the 400 a query is refused with. */
function refusal(query: string) {
  try {
    params(query);
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemError);
    const e = error as ProblemError;
    return { status: e.status, code: e.code, fields: e.problems.map((x) => x.field), message: e.message };
  }
  throw new Error(`${query} was accepted`);
}

describe("freshnessParams", () => {
  it("names no write and waits the most when nothing is asked", () => {
    expect(params("")).toEqual({ afterEventIds: [], minPosition: undefined, waitMs: MAX_WAIT, named: false });
    expect(params("afterEventId=&minPosition=")).toMatchObject({ afterEventIds: [], named: false });
  });

  it("takes one afterEventId or up to 20 comma-separated, each once", () => {
    expect(params(`afterEventId=${id(1)}`)).toMatchObject({ afterEventIds: [id(1)], named: true });
    expect(params(`afterEventId=${id(1)},${id(2)},${id(1)}`).afterEventIds).toEqual([id(1), id(2)]);
    const twenty = Array.from({ length: 20 }, (_, i) => id(i + 1));
    expect(params(`afterEventId=${twenty.join(",")}`).afterEventIds).toHaveLength(20);
    // Twenty distinct with a repeat are twenty.
    expect(params(`afterEventId=${[...twenty, id(1)].join(",")}`).afterEventIds).toHaveLength(20);
  });

  it("refuses 21 event ids, one that is not a UUID, or an empty item", () => {
    const many = Array.from({ length: 21 }, (_, i) => id(i + 1)).join(",");
    for (const query of [
      `afterEventId=${many}`,
      "afterEventId=not-a-uuid",
      `afterEventId=${id(1)},`,
      `afterEventId=${id(1)}x`,
    ])
      expect(refusal(query), query).toMatchObject({
        status: 400,
        code: "VALIDATION_FAILED",
        fields: ["afterEventId"],
      });
  });

  it("takes a minPosition from 1 to the largest bigint, nothing else", () => {
    expect(params("minPosition=1")).toMatchObject({ minPosition: "1", named: true });
    expect(params("minPosition=9223372036854775807").minPosition).toBe("9223372036854775807");
    for (const value of ["0", "-1", "1.5", "9223372036854775808", "99999999999999999999", "abc", " 1"])
      expect(refusal(`minPosition=${encodeURIComponent(value)}`), value).toMatchObject({
        status: 400,
        fields: ["minPosition"],
      });
  });

  it("bounds waitMs from 0 to the configured most, and only with a write to wait for", () => {
    expect(params(`minPosition=3&waitMs=0`).waitMs).toBe(0);
    expect(params(`minPosition=3&waitMs=${MAX_WAIT}`).waitMs).toBe(MAX_WAIT);
    expect(params(`afterEventId=${id(1)}&waitMs=250`).waitMs).toBe(250);
    for (const value of [String(MAX_WAIT + 1), "-1", "soon", "1.5"])
      expect(refusal(`minPosition=3&waitMs=${value}`), value).toMatchObject({
        status: 400,
        fields: ["waitMs"],
      });
    expect(refusal("waitMs=100")).toMatchObject({ status: 400, fields: ["waitMs"] });
  });

  it("refuses asOf with a write to wait for, and takes it alone", () => {
    expect(refusal(`minPosition=3&asOf=2025-01-01T00:00:00Z`)).toMatchObject({
      status: 400,
      fields: ["asOf"],
    });
    expect(refusal(`afterEventId=${id(1)}&asOf=2025-01-01`)).toMatchObject({ fields: ["asOf"] });
    expect(params("asOf=2025-01-01T00:00:00Z")).toMatchObject({ named: false });
  });
});

describe("asOfParam", () => {
  it("normalises an ISO time to UTC and refuses one that is not", () => {
    expect(asOfParam(new URLSearchParams("asOf=2025-01-15T12:00:00%2B02:00"))).toBe(
      "2025-01-15T10:00:00.000Z",
    );
    expect(asOfParam(new URLSearchParams(""))).toBeUndefined();
    expect(() => asOfParam(new URLSearchParams("asOf=yesterday"))).toThrow(ProblemError);
  });
});
