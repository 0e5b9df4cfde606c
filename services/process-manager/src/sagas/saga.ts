// What a saga is, as data: which events concern which of its processes, and a decider that
// turns a process's state and one input (an event, a rejection of a command it sent, a timer)
// into the next state and the commands to send. Pure: no SQL, no Kafka, no clock but `now`.
import type { CommittedEvent } from "@eventscope/contracts";

export type ProcessStatus = "active" | "completed" | "compensating" | "cancelled" | "failed";

/** An event to send through the producer; its id is derived from (process id, step). */
export interface Command {
  step: string;
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  data: Record<string, unknown>;
  /**
   * Why the step is not sent (e.g. the e-mail it needed was erased): recorded as `refused` with
   * `skipped: <reason>`, so the process shows it and goes on.
   */
  skip?: string;
}

export type Input =
  | { kind: "event"; event: CommittedEvent }
  /** The event store rejected a command this process sent. */
  | { kind: "rejected"; step: string; eventId: string; code: string; reason: string }
  | { kind: "timer"; name: string };

export interface Settings {
  paymentTimeoutMs: number;
  cartIdleMs: number;
  activationReminderMs: number;
  lowStockThreshold: number;
}

export interface Context {
  processId: string;
  /** ISO time of the decision (timers are set relative to it). */
  now: string;
  settings: Settings;
  /** The event id a step of this process is sent with (deterministic). */
  eventIdOf(step: string): string;
}

export interface Outcome<S> {
  state: S;
  status: ProcessStatus;
  stage: string;
  /** Set when the process reaches an end (completed or cancelled): counted by outcome. */
  outcome?: string;
  commands?: Command[];
  /** Timers to set (name -> due time, replacing one of the same name) and to cancel. */
  setTimers?: Record<string, string>;
  cancelTimers?: string[];
  /** Streams whose events are to reach this process from now on (e.g. its payment). */
  links?: string[];
}

export interface Current<S> {
  state: S;
  status: ProcessStatus;
  stage: string;
}

/** Where an event goes: a process by id (`start`: the event may begin it) or by a linked stream. */
export type Route = { processId: string; start?: boolean } | { linkedStream: string };

export interface Saga<S> {
  type: string;
  /**
   * Whose trace a step joins: the process's (the trace of the event that started it, so a whole
   * order is one trace) or the causing event's.
   */
  trace: "process" | "cause";
  route(event: CommittedEvent): Route[];
  initial(): S;
  decide(current: Current<S>, input: Input, context: Context): Outcome<S> | undefined;
}

export const after = (now: string, ms: number): string => new Date(Date.parse(now) + ms).toISOString();

/** Nothing changes: the input is not one this process acts on. */
export const unchanged = <S>(current: Current<S>): Outcome<S> => ({ ...current });
