import { describe, expect, it } from "vitest";
import { given } from "./spec-support.ts";
import { tasks } from "./tasks.ts";

const created: [string, Record<string, unknown>] = ["TaskCreated", { title: "Write specs", assignee: "ana" }];

describe("tasks", () => {
  it("accepts create, update and complete, and tracks the task", () => {
    const { state } = given(tasks, [
      created,
      ["TaskUpdated", { description: "all domains", dueDate: "2025-02-01" }],
      ["TaskUpdated", { assignee: null }],
      ["TaskCompleted", { completedBy: "ben" }],
    ]);
    expect(state).toMatchObject({
      taskId: "agg-1",
      status: "Completed",
      title: "Write specs",
      description: "all domains",
      assignee: null,
      dueDate: "2025-02-01",
      completedBy: "ben",
    });
    expect(state.completedAt).toBe(state.updatedAt);
  });

  it("rejects updating or completing a task that was never created", () => {
    for (const type of ["TaskUpdated", "TaskCompleted"]) {
      const decision = given(tasks, []).decide(type, { title: "x" });
      expect(decision).toEqual({
        accepted: false,
        code: "AGGREGATE_NOT_FOUND",
        reason: `Task agg-1 does not exist; ${type} needs it first`,
      });
    }
  });

  it("rejects creating a task twice", () => {
    expect(given(tasks, [created]).decide("TaskCreated", { title: "again" })).toMatchObject({
      accepted: false,
      code: "AGGREGATE_ALREADY_EXISTS",
    });
  });

  it("rejects updating or completing a completed task", () => {
    const done = given(tasks, [created, ["TaskCompleted", {}]]);
    expect(done.decide("TaskUpdated", { title: "late" })).toEqual({
      accepted: false,
      code: "INVALID_STATE_TRANSITION",
      reason: "TaskUpdated is not allowed when Task agg-1 is Completed (only when Open)",
    });
    expect(done.decide("TaskCompleted")).toMatchObject({ code: "INVALID_STATE_TRANSITION" });
  });

  it("rejects event types of other domains", () => {
    expect(given(tasks, [created]).decide("OrderCreated")).toMatchObject({ code: "UNKNOWN_EVENT_TYPE" });
  });
});
