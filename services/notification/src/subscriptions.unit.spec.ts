import { describe, expect, it } from "vitest";
import { isProblemError } from "@eventscope/platform";
import { parseSubscription } from "./subscriptions.ts";

const fieldsOf = (body: unknown): string[] => {
  try {
    parseSubscription(body);
    return [];
  } catch (error) {
    if (!isProblemError(error)) throw error;
    expect(error.status).toBe(400);
    return error.problems.map((p) => p.field);
  }
};

describe("subscription requests", () => {
  it("accepts an http(s) URL with event types, dropping repeated types", () => {
    expect(parseSubscription({ url: "https://hooks.test/x", eventTypes: ["A", "A", "*"] })).toEqual({
      url: "https://hooks.test/x",
      eventTypes: ["A", "*"],
      secret: undefined,
    });
  });

  it("names each invalid field", () => {
    expect(fieldsOf({ url: "ftp://hooks.test", eventTypes: ["A"] })).toEqual(["url"]);
    expect(fieldsOf({ url: "not a url", eventTypes: ["A"] })).toEqual(["url"]);
    expect(fieldsOf({ url: "http://hooks.test", eventTypes: [] })).toEqual(["eventTypes"]);
    expect(fieldsOf({ url: "http://hooks.test", eventTypes: "A" })).toEqual(["eventTypes"]);
    expect(fieldsOf({ url: "http://hooks.test", eventTypes: ["A"], secret: "short" })).toEqual(["secret"]);
    expect(fieldsOf(null)).toEqual(["url", "eventTypes"]);
  });
});
