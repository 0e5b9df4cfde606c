// Feeds one input to one process inside a transaction: creates the process when the input
// starts it, asks its saga to decide, and writes what the decision says (state, steps with
// their deterministic event ids, timers, links). Shared by the consumer, the rejections reader
// and the timers, so each writes a process the same way.
import type { CommittedEvent } from "@eventscope/contracts";
import type { PoolClient } from "@eventscope/platform";
import { sagaOf, typeOfProcess, type Input, type Route, type Settings } from "./sagas/index.ts";
import { stepEventId } from "./sagas/step-id.ts";
import {
  addLinks,
  cancelTimers,
  insertProcess,
  insertSteps,
  linkedProcess,
  lockProcess,
  recordEvent,
  setTimers,
  updateProcess,
  type ProcessRow,
  type StepRow,
} from "./store.ts";

/** What a transaction did, counted once it committed. */
export interface Effects {
  started: string[];
  ended: { type: string; outcome: string }[];
  steps: number;
}

/** The processes one transaction touched: loaded (and locked) once, written at the end. */
export interface Work {
  client: PoolClient;
  settings: Settings;
  processes: Map<string, ProcessRow>;
  links: Map<string, string>;
  effects: Effects;
}

export const newWork = (client: PoolClient, settings: Settings): Work => ({
  client,
  settings,
  processes: new Map(),
  links: new Map(),
  effects: { started: [], ended: [], steps: 0 },
});

export interface Cause {
  /** The event that caused the step (causationId); none for a timer. */
  eventId?: string;
  /** The trace context of the cause (the consumer span of the event). */
  traceparent?: string | undefined;
}

const ended = (status: string) => status === "completed" || status === "cancelled" || status === "failed";

export async function resolveRoute(work: Work, route: Route): Promise<string | undefined> {
  if ("processId" in route) return route.processId;
  return work.links.get(route.linkedStream) ?? (await linkedProcess(work.client, route.linkedStream));
}

async function load(work: Work, id: string): Promise<ProcessRow | undefined> {
  const cached = work.processes.get(id);
  if (cached) return cached;
  const row = await lockProcess(work.client, id);
  if (row) work.processes.set(id, row);
  return row;
}

/** Feeds `input` to the process; `start` is the event that may begin it when it does not exist. */
export async function feed(
  work: Work,
  processId: string,
  input: Input,
  cause: Cause,
  start?: CommittedEvent,
): Promise<void> {
  const type = typeOfProcess(processId);
  const saga = sagaOf(type);
  if (!saga) return;
  let row = await load(work, processId);
  const isNew = row === undefined;
  if (!row) {
    if (!start) return;
    row = {
      id: processId,
      type,
      status: "active",
      stage: "new",
      outcome: null,
      state: saga.initial(),
      correlationId: start.metadata.correlationId,
      traceparent: cause.traceparent ?? start.metadata.traceparent ?? null,
      startedBy: start.eventId,
      completedAt: null,
    };
  }
  const now = new Date().toISOString();
  const outcome = saga.decide({ state: row.state, status: row.status, stage: row.stage }, input, {
    processId,
    now,
    settings: work.settings,
    eventIdOf: (step) => stepEventId(processId, step),
  });
  if (!outcome) {
    if (!isNew && input.kind === "event") await recordEvent(work.client, processId, input.event);
    return;
  }
  const wasEnded = ended(row.status);
  row.state = outcome.state;
  row.status = outcome.status;
  row.stage = outcome.stage;
  if (outcome.outcome !== undefined && outcome.outcome !== row.outcome) {
    row.outcome = outcome.outcome;
    work.effects.ended.push({ type, outcome: outcome.outcome });
  }
  if (ended(row.status) && !wasEnded) row.completedAt = now;
  if (isNew) {
    await insertProcess(work.client, row);
    work.processes.set(processId, row);
    work.effects.started.push(type);
  }
  const process = row;
  const steps = (outcome.commands ?? []).map((c): StepRow => {
    const eventId = stepEventId(processId, c.step);
    return {
      eventId,
      processId,
      step: c.step,
      eventType: c.eventType,
      aggregateType: c.aggregateType,
      aggregateId: c.aggregateId,
      envelope: {
        eventId,
        eventType: c.eventType,
        aggregateType: c.aggregateType,
        aggregateId: c.aggregateId,
        data: c.data,
        metadata: {
          correlationId: process.correlationId,
          causationId: cause.eventId ?? null,
          source: "process-manager",
        },
      },
      causedBy: cause.eventId ?? null,
      skipped: c.skip ?? null,
      traceparent:
        saga.trace === "process" ? process.traceparent : (cause.traceparent ?? process.traceparent),
    };
  });
  work.effects.steps += await insertSteps(work.client, steps);
  await cancelTimers(work.client, processId, outcome.cancelTimers ?? []);
  await setTimers(work.client, processId, outcome.setTimers ?? {});
  for (const stream of outcome.links ?? []) work.links.set(stream, processId);
  await addLinks(work.client, processId, outcome.links ?? []);
  if (input.kind === "event") await recordEvent(work.client, processId, input.event);
}

/** Writes every process the transaction changed. */
export async function flush(work: Work): Promise<void> {
  for (const row of work.processes.values()) await updateProcess(work.client, row);
}
