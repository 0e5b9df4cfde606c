import { describe, expect, it } from "vitest";
import { wellFormed } from "./append.ts";

describe("wellFormed: the copy of an unstorable event its rejection keeps", () => {
  it("replaces NUL and lone surrogates in keys and values, and leaves the rest as it is", () => {
    expect(wellFormed({ "k\u0000": ["a\u0000b", "\ud800", "ok \u{1F600}"], n: 1, b: null })).toEqual({
      "k\uFFFD": ["a\uFFFDb", "\uFFFD", "ok \u{1F600}"],
      n: 1,
      b: null,
    });
  });
});
