import { describe, expect, it } from "vitest";
import { commandEnvelope, commandRoutes } from "./commands.ts";

const route = (method: string, path: string) =>
  commandRoutes.find((r) => r.method === method && r.path === path)!;
const dataOf = (method: string, path: string, body: unknown, params: Record<string, string> = {}) =>
  commandEnvelope(route(method, path), params, body, () => "id-1").partial.data;

describe("customer commands", () => {
  it("split the seed's name at its first space into given and family names (schema v2)", () => {
    expect(dataOf("POST", "/customer", { name: "Ada King Lovelace", email: "a@b.io" })).toEqual({
      givenName: "Ada",
      familyName: "King Lovelace",
      email: "a@b.io",
    });
    expect(dataOf("POST", "/api/customers", { name: "Cher", email: "c@b.io" })).toEqual({
      givenName: "Cher",
      email: "c@b.io",
    });
  });

  it("take the new fields as they are", () => {
    expect(
      dataOf("POST", "/customer", { givenName: "Ada", familyName: "Lovelace", email: "a@b.io" }),
    ).toEqual({
      givenName: "Ada",
      familyName: "Lovelace",
      email: "a@b.io",
    });
  });

  it("clear the family name when an update's full name has none", () => {
    expect(dataOf("PUT", "/customer/:id", { name: "Cher" }, { id: "c-1" })).toEqual({
      givenName: "Cher",
      familyName: null,
    });
    expect(dataOf("PUT", "/customer/:id", { phone: "+33 1 23" }, { id: "c-1" })).toEqual({
      phone: "+33 1 23",
    });
  });

  it("leave a name beside the new fields for the schema to name", () => {
    expect(dataOf("POST", "/customer", { name: "Ada", givenName: "Ada", email: "a@b.io" })).toMatchObject({
      name: "Ada",
    });
  });
});
