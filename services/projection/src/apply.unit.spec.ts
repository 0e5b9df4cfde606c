import { describe, expect, it } from "vitest";
import { streamIdOf, type CommittedEvent } from "@eventscope/contracts";
import { evolveDocuments, freshEvents, highestPosition, type ApplyResult } from "./apply.ts";
import { documentModels, type DocumentModel } from "./read-models.ts";
import { committed } from "./spec-support.ts";

const task = (
  aggregateId: string,
  version: number,
  eventType = "TaskUpdated",
  data = { title: `v${version}` },
) => committed("Task", eventType, { aggregateId, version, data });
const all = () => true;
/** The key of a task stream's version under a projection. */
const key = (projection: string, id: string) => `${projection}\0${streamIdOf("Task", id)}`;
const ids = (events: CommittedEvent[]) => events.map((e) => `${e.aggregateId}@${e.version}`);

describe("freshEvents", () => {
  it("returns the events past each stream's version, in order, and records the versions they reach", () => {
    const versions = new Map([[key("tasks", "t-1"), 2]]);
    const events = [task("t-1", 2), task("t-2", 1), task("t-1", 3), task("t-2", 2)];
    expect(ids(freshEvents(events, versions, "tasks", all))).toEqual(["t-2@1", "t-1@3", "t-2@2"]);
    expect(versions).toEqual(
      new Map([
        [key("tasks", "t-1"), 3],
        [key("tasks", "t-2"), 2],
      ]),
    );
  });

  it("skips a redelivery within the batch and one the projection already applied", () => {
    const versions = new Map<string, number>();
    const first = task("t-1", 1);
    expect(ids(freshEvents([first, first, task("t-1", 1)], versions, "tasks", all))).toEqual(["t-1@1"]);
    expect(freshEvents([first], versions, "tasks", all)).toEqual([]);
    // An older version arriving after a newer one is not applied over it.
    expect(ids(freshEvents([task("t-1", 4), task("t-1", 3)], versions, "tasks", all))).toEqual(["t-1@4"]);
    expect(versions.get(key("tasks", "t-1"))).toBe(4);
  });

  it("applies a version past the next one (a gap), and keeps projections and their shadows apart", () => {
    const versions = new Map([[key("tasks", "t-1"), 1]]);
    expect(ids(freshEvents([task("t-1", 5)], versions, "tasks", all))).toEqual(["t-1@5"]);
    expect(ids(freshEvents([task("t-1", 2)], versions, "tasks__rebuild", all))).toEqual(["t-1@2"]);
    expect(versions.get(key("tasks", "t-1"))).toBe(5);
    expect(versions.get(key("tasks__rebuild", "t-1"))).toBe(2);
  });

  it("leaves out the events the projection does not handle, without marking their streams", () => {
    const versions = new Map<string, number>();
    const payment = committed("Payment", "PaymentInitiated", { aggregateId: "p-1" });
    const out = freshEvents([payment, task("t-1", 1)], versions, "tasks", (e) => e.aggregateType === "Task");
    expect(ids(out)).toEqual(["t-1@1"]);
    expect([...versions.keys()]).toEqual([key("tasks", "t-1")]);
  });

  it("keys streams of the same id in different aggregates apart", () => {
    const versions = new Map<string, number>();
    const same = [
      committed("Task", "TaskCreated", { aggregateId: "x" }),
      committed("Order", "OrderCreated", { aggregateId: "x" }),
    ];
    expect(freshEvents(same, versions, "p", all)).toHaveLength(2);
  });
});

describe("highestPosition", () => {
  it("compares positions as integers, past what a double holds exactly", () => {
    const at = (position: string) => ({ ...task("t-1", 1), position });
    expect(highestPosition([at("9"), at("10"), at("2")])).toBe(10n);
    expect(highestPosition([at("9007199254740993"), at("9007199254740992")])).toBe(9007199254740993n);
    expect(highestPosition([])).toBe(0n);
  });
});

describe("evolveDocuments", () => {
  const tasks = documentModels.find((m) => m.name === "tasks")!;

  it("folds each event into its document, starting an unknown one from the initial state", () => {
    const docs = new Map<string, unknown>([
      ["t-1", { ...(tasks.initial() as object), title: "stored", status: "Open" }],
    ]);
    const failures: ApplyResult["failures"] = [];
    const applied = evolveDocuments(
      tasks,
      docs,
      [
        { id: "t-2", event: task("t-2", 1, "TaskCreated", { title: "new" }) },
        { id: "t-1", event: task("t-1", 2, "TaskUpdated", { title: "renamed" }) },
        { id: "t-2", event: task("t-2", 2, "TaskUpdated", { title: "newer" }) },
      ],
      failures,
    );
    expect(applied).toBe(3);
    expect(failures).toEqual([]);
    expect(docs.get("t-1")).toMatchObject({ title: "renamed", status: "Open" });
    expect(docs.get("t-2")).toMatchObject({ title: "newer", taskId: "t-2" });
  });

  it("records an event the fold throws on as a failure and keeps the document as it was before it", () => {
    const brittle: DocumentModel = {
      ...tasks,
      evolve: (doc, event) => {
        if (event.eventType === "TaskBroken") throw new Error("cannot fold");
        return tasks.evolve(doc, event);
      },
    };
    const docs = new Map<string, unknown>();
    const failures: ApplyResult["failures"] = [];
    const broken = task("t-1", 2, "TaskBroken");
    const applied = evolveDocuments(
      brittle,
      docs,
      [
        { id: "t-1", event: task("t-1", 1, "TaskCreated", { title: "one" }) },
        { id: "t-1", event: broken },
        { id: "t-1", event: task("t-1", 3, "TaskUpdated", { title: "three" }) },
      ],
      failures,
    );
    expect(applied).toBe(2);
    expect(failures.map((f) => [f.event.eventId, f.projection, f.error.message])).toEqual([
      [broken.eventId, "tasks", "cannot fold"],
    ]);
    expect(docs.get("t-1")).toMatchObject({ title: "three" });
  });
});
