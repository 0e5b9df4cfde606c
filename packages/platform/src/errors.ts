// The errors an HTTP answer is made of: the root's stable code and retriable flag, plus an HTTP
// status and the fields at fault. HTTP middleware turns any of them into an RFC 7807 problem body.
import { EventscopeError } from "@eventscope/contracts";

export { EventscopeError, isEventscopeError, type EventscopeErrorOptions } from "@eventscope/contracts";

export interface FieldProblem {
  field: string;
  reason: string;
}

export interface ProblemErrorOptions {
  code: string;
  status: number;
  retriable?: boolean;
  problems?: FieldProblem[];
  retryAfterSeconds?: number;
  cause?: unknown;
  extra?: Record<string, unknown>;
}

/** An error with an HTTP answer. Its `name` stays the root's: metric labels and logs read it. */
export class ProblemError extends EventscopeError {
  readonly status: number;
  readonly problems: FieldProblem[];
  readonly retryAfterSeconds: number | undefined;
  readonly extra: Record<string, unknown>;

  constructor(message: string, options: ProblemErrorOptions) {
    super(message, options);
    this.status = options.status;
    this.problems = options.problems ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extra = options.extra ?? {};
  }
}

export const validationError = (message: string, problems: FieldProblem[]): ProblemError =>
  new ProblemError(message, { code: "VALIDATION_FAILED", status: 400, problems });

export const notFound = (message: string, extra?: Record<string, unknown>): ProblemError =>
  new ProblemError(message, { code: "NOT_FOUND", status: 404, ...(extra ? { extra } : {}) });

export const conflict = (message: string, extra?: Record<string, unknown>): ProblemError =>
  new ProblemError(message, { code: "CONFLICT", status: 409, ...(extra ? { extra } : {}) });

export const unauthorized = (message: string, extra?: Record<string, unknown>): ProblemError =>
  new ProblemError(message, {
    code: "UNAUTHORIZED",
    status: 401,
    problems: [{ field: "X-API-Key", reason: message }],
    ...(extra ? { extra } : {}),
  });

export const forbidden = (message: string, extra?: Record<string, unknown>): ProblemError =>
  new ProblemError(message, {
    code: "FORBIDDEN",
    status: 403,
    problems: [{ field: "X-API-Key", reason: message }],
    ...(extra ? { extra } : {}),
  });

/** The same id (event id or Idempotency-Key) was used before with a different payload. */
export const idempotencyConflict = (
  message: string,
  problems: FieldProblem[],
  extra?: Record<string, unknown>,
): ProblemError =>
  new ProblemError(message, {
    code: "IDEMPOTENCY_CONFLICT",
    status: 409,
    problems,
    ...(extra ? { extra } : {}),
  });

export const methodNotAllowed = (message: string, allowed: string[]): ProblemError =>
  new ProblemError(message, { code: "METHOD_NOT_ALLOWED", status: 405, extra: { allowed } });

export const payloadTooLarge = (limitBytes: number): ProblemError =>
  new ProblemError(`request body exceeds ${limitBytes} bytes`, {
    code: "PAYLOAD_TOO_LARGE",
    status: 413,
    problems: [{ field: "body", reason: `larger than the limit of ${limitBytes} bytes` }],
  });

export const unsupportedMediaType = (
  got: string | undefined,
  accepted: string[],
  reason = `expected one of ${accepted.join(", ")}`,
): ProblemError =>
  new ProblemError(`unsupported content type ${got ?? "(none)"}`, {
    code: "UNSUPPORTED_MEDIA_TYPE",
    status: 415,
    problems: [{ field: "content-type", reason }],
  });

export const unavailable = (message: string, retryAfterSeconds: number, cause?: unknown): ProblemError =>
  new ProblemError(message, {
    code: "UNAVAILABLE",
    status: 503,
    retriable: true,
    retryAfterSeconds,
    cause,
  });

/**
 * The event was handed to the broker but no acknowledgement came in time: it may or may not be
 * stored. A retry with the same event id (or Idempotency-Key) is safe; the status URL tells.
 */
export const publishInDoubt = (message: string, retryAfterSeconds: number): ProblemError =>
  new ProblemError(message, {
    code: "PUBLISH_IN_DOUBT",
    status: 504,
    retriable: true,
    retryAfterSeconds,
  });

export const isProblemError = (error: unknown): error is ProblemError => error instanceof ProblemError;

/** RFC 7807 problem body for an error; unknown errors become an opaque 500. */
export function toProblem(error: unknown, instance?: string): Record<string, unknown> & { status: number } {
  if (isProblemError(error)) {
    return {
      type: `https://eventscope.dev/problems/${error.code.toLowerCase().replaceAll("_", "-")}`,
      title: titleFor(error.status),
      status: error.status,
      detail: error.message,
      code: error.code,
      retriable: error.retriable,
      ...(error.problems.length > 0 ? { errors: error.problems } : {}),
      ...(instance ? { instance } : {}),
      ...error.extra,
    };
  }
  return {
    type: "about:blank",
    title: "Internal Server Error",
    status: 500,
    detail: "unexpected error",
    code: "INTERNAL",
    retriable: true,
    ...(instance ? { instance } : {}),
  };
}

function titleFor(status: number): string {
  const titles: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    428: "Precondition Required",
    429: "Too Many Requests",
    503: "Service Unavailable",
  };
  return titles[status] ?? "Error";
}
