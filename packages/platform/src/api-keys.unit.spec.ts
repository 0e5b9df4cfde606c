import { describe, expect, it } from "vitest";
import { createKeyring, outgoingKey, parseApiKeys } from "./api-keys.ts";
import { ProblemError } from "./errors.ts";

const refusal = (run: () => void) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemError)
      return { status: error.status, extra: error.extra, errors: error.problems };
  }
  return undefined;
};

describe("API keys with scopes", () => {
  it("parses scopes, and a key without scopes holds all of them", () => {
    expect(parseApiKeys("key:write+read, adminkey:admin,eventscope-demo-key")).toEqual([
      { key: "key", scopes: ["write", "read"] },
      { key: "adminkey", scopes: ["admin"] },
      { key: "eventscope-demo-key", scopes: ["read", "write", "admin"] },
    ]);
    expect(() => parseApiKeys("k:root")).toThrow(/unknown scope "root"/);
    expect(() => parseApiKeys(":read")).toThrow(/no key/);
  });

  it("answers 401 without a key or with an unknown one, 403 without the scope, naming the scope", () => {
    const keys = createKeyring(parseApiKeys("writer:write,admin:admin"));
    expect(refusal(() => keys.authorize(undefined, "write"))).toMatchObject({
      status: 401,
      extra: { requiredScope: "write" },
      errors: [{ field: "X-API-Key" }],
    });
    expect(refusal(() => keys.authorize("writer-but-longer", "write"))?.status).toBe(401);
    expect(refusal(() => keys.authorize("", "write"))?.status).toBe(401);
    const missing = refusal(() => keys.authorize("writer", "admin"));
    expect(missing).toMatchObject({ status: 403, extra: { requiredScope: "admin" } });
    expect(missing?.errors[0]!.reason).toContain("admin");
    expect(refusal(() => keys.authorize("writer", "write"))).toBeUndefined();
    expect(refusal(() => keys.authorize(["admin", "x"], "admin"))).toBeUndefined();
  });

  it("lets everything through when no key is configured", () => {
    const open = createKeyring([]);
    expect(open.enabled).toBe(false);
    expect(refusal(() => open.authorize(undefined, "admin"))).toBeUndefined();
  });

  it("picks the key a service sends to another", () => {
    const keys = parseApiKeys("w:write,r:read+write");
    expect(outgoingKey("", keys, "read")).toBe("r");
    expect(outgoingKey("explicit", keys, "read")).toBe("explicit");
    expect(outgoingKey("", [], "read")).toBeUndefined();
  });
});
