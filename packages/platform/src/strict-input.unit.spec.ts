import { describe, expect, it } from "vitest";
import { ProblemError } from "./errors.ts";
import { checkCharset, decodeComponent, decodeUtf8, parseQuery, parseStrictJson } from "./strict-input.ts";

const problemOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemError) return { status: error.status, errors: error.problems };
    throw error;
  }
  throw new Error("expected a refusal");
};

describe("strict JSON bodies", () => {
  it("parses ordinary JSON as JSON.parse does", () => {
    const text =
      '{"a":[1,2.5,-3e2,"x",null,true],"b":{"c":"\\u00e9\\ud83d\\ude00"},"id":"12345678901234567890"}';
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
  });

  it("refuses NUL and lone surrogates in values and field names, naming the field", () => {
    expect(problemOf(() => parseStrictJson('{"data":{"reason":"a\\u0000b"}}'))).toEqual({
      status: 400,
      errors: [{ field: "/data/reason", reason: "must not contain NUL (U+0000)" }],
    });
    expect(problemOf(() => parseStrictJson('{"x":["ok","\\ud800"]}')).errors).toEqual([
      { field: "/x/1", reason: "must not contain a lone surrogate" },
    ]);
    expect(problemOf(() => parseStrictJson('{"a\\udc00/b":1}')).errors[0]!.field).toBe("/a\udc00~1b");
    expect(problemOf(() => parseStrictJson('"\\u0000"')).errors[0]!.field).toBe("/");
  });

  it("refuses numbers that do not fit rather than rounding them", () => {
    expect(problemOf(() => parseStrictJson('{"n":1e400}')).errors[0]).toMatchObject({ field: "/n" });
    expect(problemOf(() => parseStrictJson('{"n":-1e400}')).errors[0]!.reason).toMatch(/out of range/);
    expect(problemOf(() => parseStrictJson('{"v":99999999999999999999}')).errors[0]!.reason).toMatch(/2\^53/);
    expect(problemOf(() => parseStrictJson('{"v":9007199254740993}')).errors[0]!.field).toBe("/v");
    expect(problemOf(() => parseStrictJson("[1e-400]")).errors[0]!.field).toBe("/0");
    expect(parseStrictJson('{"v":9007199254740991,"f":1.5e300,"z":0e500}')).toEqual({
      v: 9007199254740991,
      f: 1.5e300,
      z: 0,
    });
  });

  it("bounds nesting before parsing, whatever brackets sit inside strings", () => {
    expect(problemOf(() => parseStrictJson("[".repeat(20_000) + "]".repeat(20_000))).errors[0]).toEqual({
      field: "body",
      reason: "nesting deeper than 64 levels",
    });
    expect(parseStrictJson(`{"s":"${"[".repeat(100)}\\"{"}`, 2)).toEqual({ s: `${"[".repeat(100)}"{` });
    expect(() => parseStrictJson('{"a":{"b":{}}}', 2)).toThrow(/nested too deeply/);
  });

  it("names the body for malformed or empty JSON", () => {
    expect(problemOf(() => parseStrictJson("{nope")).errors[0]!.field).toBe("body");
    expect(problemOf(() => parseStrictJson("  ")).errors[0]).toEqual({ field: "body", reason: "required" });
  });
});

describe("body decoding", () => {
  it("decodes UTF-8 and refuses invalid bytes", () => {
    expect(decodeUtf8(Buffer.from("héllo"))).toBe("héllo");
    expect(problemOf(() => decodeUtf8(Buffer.from([0x7b, 0xff, 0x7d]))).errors[0]!.field).toBe("body");
    // CESU-8 surrogate halves are invalid UTF-8.
    expect(() => decodeUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toThrow(ProblemError);
  });

  it("refuses a declared charset other than UTF-8 with 415", () => {
    expect(() => checkCharset("application/json; charset=utf-8", [])).not.toThrow();
    expect(() => checkCharset('application/json; charset="UTF8"', [])).not.toThrow();
    expect(() => checkCharset("application/json", [])).not.toThrow();
    const refused = problemOf(() => checkCharset("application/json; charset=iso-8859-1", []));
    expect(refused.status).toBe(415);
    expect(refused.errors[0]!.field).toBe("content-type");
  });
});

describe("path and query parameters", () => {
  it("decodes strictly and names the parameter", () => {
    expect(decodeComponent("a%20b", "id")).toBe("a b");
    for (const raw of ["%ff", "%E0%A4%A", "a%00b", "%ED%A0%80"])
      expect(problemOf(() => decodeComponent(raw, "id")).errors[0]!.field).toBe("id");
  });

  it("parses a query with '+' as space and refuses what cannot be decoded", () => {
    const q = parseQuery("a=1+2&b=%C3%A9&c&a=3");
    expect(q.getAll("a")).toEqual(["1 2", "3"]);
    expect(q.get("b")).toBe("é");
    expect(q.get("c")).toBe("");
    expect(problemOf(() => parseQuery("status=%00")).errors[0]!.field).toBe("status");
    expect(problemOf(() => parseQuery("after=%ff")).errors[0]!.field).toBe("after");
  });
});
