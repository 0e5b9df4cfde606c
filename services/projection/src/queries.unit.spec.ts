import { describe, expect, it } from "vitest";
import { activityWhere, documentWhere, filtersOf } from "./queries.ts";
import { documentModels, type DocumentModel } from "./read-models.ts";

const model = (name: string): DocumentModel => documentModels.find((m) => m.name === name)!;

describe("filtersOf", () => {
  it("takes the model's own filters with a value, and nothing else of the query", () => {
    const query = new URLSearchParams("status=Created&customerId=&limit=5&email=a@x.io&afterEventId=x");
    expect(filtersOf(model("orders"), query)).toEqual({ status: "Created" });
    expect(filtersOf(model("customers"), query)).toEqual({ status: "Created", email: "a@x.io" });
    expect(filtersOf(model("inventory"), query)).toEqual({});
  });
});

describe("documentWhere", () => {
  it("puts every value in a numbered placeholder on its generated column", () => {
    expect(documentWhere(model("orders"), { status: "Created", customerId: "c-1' OR 1=1 --" })).toEqual({
      clause: "WHERE status = $1 AND customer_id = $2",
      args: ["Created", "c-1' OR 1=1 --"],
    });
    expect(documentWhere(model("orders"), {})).toEqual({ clause: "", args: [] });
  });

  it('reads lowStock as a boolean: true only for "true"', () => {
    const inventory = model("inventory");
    expect(documentWhere(inventory, { lowStock: "true" })).toEqual({
      clause: "WHERE low_stock = $1",
      args: [true],
    });
    for (const value of ["false", "1", "yes", "TRUE"])
      expect(documentWhere(inventory, { lowStock: value }).args, value).toEqual([false]);
  });
});

describe("activityWhere", () => {
  it("filters by user, by event type, or both, numbering the placeholders in turn", () => {
    expect(activityWhere({})).toEqual({ clause: "", args: [] });
    expect(activityWhere({ eventType: "PageViewed" })).toEqual({
      clause: "WHERE event_type = $1",
      args: ["PageViewed"],
    });
    expect(activityWhere({ userId: "u-1", eventType: "PageViewed" })).toEqual({
      clause: "WHERE user_id = $1 AND event_type = $2",
      args: ["u-1", "PageViewed"],
    });
  });
});
