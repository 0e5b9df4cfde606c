import { describe, expect, it } from "vitest";
import { MalformedRecordError } from "@eventscope/contracts";
import { ConfigError } from "./config.ts";
import { EventscopeError, ProblemError, toProblem, unavailable, validationError } from "./errors.ts";
import { PublishError } from "./kafka/types.ts";
import { isPoison, isRetriable, isolatePoison, reasonOf, unprocessable } from "./retriable.ts";

const pgError = (code: string, message = "boom") => Object.assign(new Error(message), { code });

describe("retriable: which errors a consumer retries and which it parks", () => {
  it("retries lost connections, serialization failures, deadlocks and timeouts", () => {
    for (const code of ["08006", "08003", "40001", "40P01", "57P01", "57014", "53300", "55P03"])
      expect(isRetriable(pgError(code)), code).toBe(true);
    expect(isRetriable(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isRetriable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isRetriable(Object.assign(new Error("leader moved"), { retriable: true }))).toBe(true);
    expect(isRetriable(unavailable("broker down", 1))).toBe(true);
  });

  it("parks data errors from PostgreSQL at once and never retries them", () => {
    for (const code of ["22P05", "22021", "22P02", "22003", "23502", "23514"]) {
      expect(isPoison(pgError(code)), code).toBe(true);
      expect(isRetriable(pgError(code)), code).toBe(false);
    }
    expect(isPoison(Object.assign(new Error("bad record"), { name: "MalformedRecordError" }))).toBe(true);
    expect(isPoison(unprocessable("schema"))).toBe(true);
  });

  it("leaves a uniqueness race and unknown errors to the caller: neither retried nor parked", () => {
    for (const error of [pgError("23505"), new Error("a bug"), validationError("x", [])]) {
      expect(isRetriable(error)).toBe(false);
      expect(isPoison(error)).toBe(false);
    }
  });

  it("decides by the one root's flag and code, whatever else an error carries", () => {
    const errors = [
      unavailable("broker down", 1),
      new ConfigError("PORT: expected an integer"),
      new PublishError("not acknowledged", "in-doubt", 1),
      new MalformedRecordError("ce_id is required"),
      unprocessable("schema"),
    ];
    expect(errors.map((e) => e instanceof EventscopeError && [e.name, e.code, e.retriable])).toEqual([
      ["EventscopeError", "UNAVAILABLE", true],
      ["ConfigError", "CONFIG_INVALID", false],
      ["PublishError", "PUBLISH_IN_DOUBT", true],
      ["MalformedRecordError", "MALFORMED_RECORD", false],
      ["EventscopeError", "UNPROCESSABLE", false],
    ]);
    expect(errors.map(isRetriable)).toEqual([true, false, true, false, false]);
    expect(errors.map(isPoison)).toEqual([false, false, false, true, true]);
    // A code that looks like a SQLSTATE is the error's own, not PostgreSQL's.
    const own = new EventscopeError("x", { code: "08006" });
    expect([isRetriable(own), isPoison(new EventscopeError("x", { code: "22P05" }))]).toEqual([false, false]);
  });

  it("answers only a ProblemError with its own status; any other error is the opaque 500", () => {
    expect(toProblem(new ProblemError("gone", { code: "GONE", status: 410 })).status).toBe(410);
    for (const error of [new MalformedRecordError("x"), new PublishError("x", "not-sent", 1)])
      expect(toProblem(error)).toMatchObject({ status: 500, code: "INTERNAL" });
  });

  it("gives the SQLSTATE in the reason", () => {
    expect(reasonOf(pgError("22P05", "unsupported Unicode escape sequence"))).toBe(
      "unsupported Unicode escape sequence (SQLSTATE 22P05)",
    );
  });
});

describe("isolatePoison", () => {
  // A batch store that refuses any batch holding a NUL, as PostgreSQL does (22021).
  const store = (done: string[]) => async (items: string[]) => {
    if (items.some((i) => i.includes("\u0000"))) throw pgError("22021", "invalid byte sequence");
    done.push(...items);
  };

  it("sets aside exactly the items that fail for good and does the rest, in order", async () => {
    const done: string[] = [];
    const aside: string[] = [];
    const items = ["a", "b", "c\u0000", "d", "e", "f\u0000", "g"];
    await isolatePoison(items, store(done), (item) => void aside.push(item));
    expect(done).toEqual(["a", "b", "d", "e", "g"]);
    expect(aside).toEqual(["c\u0000", "f\u0000"]);
  });

  it("lets a transient error through for the caller to retry, setting nothing aside", async () => {
    const aside: string[] = [];
    const failing = () => Promise.reject(pgError("40001", "could not serialize"));
    await expect(isolatePoison(["a", "b"], failing, (i) => void aside.push(i))).rejects.toThrow("serialize");
    expect(aside).toEqual([]);
  });
});
