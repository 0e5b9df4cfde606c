import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, payloadHash } from "./seen.ts";

// The construction the stored hashes were made with: a hash must not change across versions,
// or a retry of an event stored earlier would be a 409.
function reference(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(",")}}`;
}

const corpus: unknown[] = [
  null,
  0,
  -1.5e-7,
  'text with "quotes", \\ and \u2028',
  true,
  [],
  {},
  [1, undefined, null, "x", [[]]],
  { b: 1, a: { d: [3, { z: 0, y: undefined }], c: "é" }, "": 2, "10": 3, "9": 4, B: 5 },
  { "key\nwith\tescapes": { "\ud83d\ude00": "emoji", é: 1, e: 2 } },
  { route: "POST /customer", params: {}, body: undefined },
  { userId: "user123", eventType: "login", metadata: { ipAddress: "192.168.1.1" } },
];

describe("canonicalJson", () => {
  it("writes every value as the original construction did, keys in code-unit order, undefined left out", () => {
    for (const value of corpus) expect(canonicalJson(value)).toBe(reference(value));
  });

  it("does not depend on the order keys were sent in", () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
  });
});

describe("payloadHash", () => {
  it("is the SHA-256 of the canonical JSON, as stored events carry it", () => {
    const payload = corpus.at(-1);
    const expected = createHash("sha256").update(reference(payload)).digest("hex");
    expect(payloadHash(payload)).toBe(`sha256:${expected}`);
  });
});
