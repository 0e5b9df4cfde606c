import { describe, expect, it } from "vitest";
import { lagOf } from "./status.ts";

describe("lagOf", () => {
  it("sums, per partition, the messages from the committed offset to the high watermark", () => {
    const ends = [
      { partition: 0, low: "0", high: "10" },
      { partition: 1, low: "0", high: "7" },
    ];
    expect(
      lagOf(ends, [
        { partition: 0, offset: "4" },
        { partition: 1, offset: "7" },
      ]),
    ).toBe(6);
  });

  it("counts from the low watermark where the group committed nothing (absent or -1)", () => {
    const ends = [
      { partition: 0, low: "3", high: "10" },
      { partition: 1, low: "5", high: "5" },
      { partition: 2, low: "2", high: "9" },
    ];
    expect(lagOf(ends, [{ partition: 2, offset: "-1" }])).toBe(7 + 0 + 7);
  });

  it("is never negative on a partition whose committed offset is past the watermark", () => {
    expect(lagOf([{ partition: 0, low: "0", high: "5" }], [{ partition: 0, offset: "8" }])).toBe(0);
    expect(lagOf([], [{ partition: 0, offset: "8" }])).toBe(0);
  });
});
