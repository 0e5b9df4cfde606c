// Tasks (the .NET EventFlow seed): created, updated, completed; a completed task is closed.
import { unknownEventType, type Domain } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { dateOrDateTime, eventData, nullableText, text } from "./schema.ts";
import { requireNew, requireStatus } from "./transitions.ts";

export type TaskStatus = "Open" | "Completed";

export type TaskState = {
  taskId: string | null;
  status: TaskStatus | null;
  title: string | null;
  description: string | null;
  assignee: string | null;
  dueDate: string | null;
  completedBy: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  completedAt: string | null;
};

export type TaskCreated = { title: string; description?: string; assignee?: string; dueDate?: string };
export type TaskUpdated = {
  title?: string;
  description?: string | null;
  assignee?: string | null;
  dueDate?: string | null;
};
export type TaskCompleted = { completedBy?: string };

const nullableDate = { ...dateOrDateTime, type: ["string", "null"] };

export const tasks: Domain<TaskState> = {
  name: "tasks",
  aggregateType: "Task",
  events: {
    TaskCreated: eventData(
      "TaskCreated",
      { title: text(200), description: text(4000), assignee: text(200), dueDate: dateOrDateTime },
      ["title"],
    ),
    // null clears an optional field; at least one field must change.
    TaskUpdated: eventData(
      "TaskUpdated",
      {
        title: text(200),
        description: nullableText(4000),
        assignee: nullableText(200),
        dueDate: nullableDate,
      },
      [],
      { minProperties: 1 },
    ),
    TaskCompleted: eventData("TaskCompleted", { completedBy: text(200) }),
  },
  initial: () => ({
    taskId: null,
    status: null,
    title: null,
    description: null,
    assignee: null,
    dueDate: null,
    completedBy: null,
    createdAt: null,
    updatedAt: null,
    completedAt: null,
  }),
  evolve(state, event) {
    switch (event.eventType) {
      case "TaskCreated": {
        const data = event.data as TaskCreated;
        return {
          ...state,
          taskId: event.aggregateId,
          status: "Open",
          title: data.title,
          description: data.description ?? null,
          assignee: data.assignee ?? null,
          dueDate: data.dueDate ?? null,
          createdAt: event.timestamp,
          updatedAt: event.timestamp,
        };
      }
      case "TaskUpdated":
        return { ...state, ...pickUpdates(event.data), updatedAt: event.timestamp };
      case "TaskCompleted": {
        const data = event.data as TaskCompleted;
        const at = event.timestamp;
        return {
          ...state,
          status: "Completed",
          completedBy: data.completedBy ?? null,
          completedAt: at,
          updatedAt: at,
        };
      }
      default:
        return state;
    }
  },
  decide(state, event: EventEnvelope) {
    switch (event.eventType) {
      case "TaskCreated":
        return requireNew(event, state.status);
      case "TaskUpdated":
      case "TaskCompleted":
        return requireStatus(event, state.status, ["Open"]);
      default:
        return unknownEventType("tasks", event.eventType);
    }
  },
  notificationRules: [],
};

function pickUpdates(data: TaskUpdated): Partial<TaskState> {
  const changes: Partial<TaskState> = {};
  if (data.title !== undefined) changes.title = data.title;
  if (data.description !== undefined) changes.description = data.description;
  if (data.assignee !== undefined) changes.assignee = data.assignee;
  if (data.dueDate !== undefined) changes.dueDate = data.dueDate;
  return changes;
}
