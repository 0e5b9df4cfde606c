// The root of every error Eventscope raises on purpose: a stable code, and whether trying again
// can help, so that callers decide a retry by type (as kafkajs's `retriable`), never by parsing
// messages. It sits in contracts, the lowest package, so that every package that throws can
// extend it; what an error answers over HTTP (status, problems) is the platform's ProblemError.

export interface EventscopeErrorOptions {
  code: string;
  retriable?: boolean;
  cause?: unknown;
}

export class EventscopeError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(message: string, options: EventscopeErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EventscopeError";
    this.code = options.code;
    this.retriable = options.retriable ?? false;
  }
}

export const isEventscopeError = (error: unknown): error is EventscopeError =>
  error instanceof EventscopeError;
