// Every input of the console's API is read here: taken as sent or refused with a 400 naming the
// field, never repaired. Query strings are decoded strictly (the platform's parser: bad
// percent-encoding, NUL and lone surrogates refused) and a parameter a route does not know is
// refused too, so a typo is not silently ignored.
import {
  checkText,
  dateTimeParam,
  intParam,
  parseQuery,
  validationError,
  type FieldProblem,
} from "@eventscope/platform";

const uuidForm = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Kafka's legal topic characters and length.
const topicForm = /^[A-Za-z0-9._-]{1,249}$/;
const runIdForm = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const aggregateTypeForm = /^[A-Za-z][A-Za-z0-9]{0,99}$/;
// Control characters (C0, DEL, C1) have no place in an id a person types.
const controlChars = /\p{Cc}/u;

export const deadLetterServices = ["event-store", "projection", "notification", "process-manager"] as const;
export type DeadLetterService = (typeof deadLetterServices)[number];

const refuse = (field: string, reason: string): never => {
  throw validationError(`invalid ${field}`, [{ field, reason }]);
};

/** The query string of a request URL, decoded strictly; parameters not in `allowed` are refused. */
export function readQuery(url: string, allowed: readonly string[]): URLSearchParams {
  const q = url.indexOf("?");
  const query = parseQuery(q === -1 ? "" : url.slice(q + 1));
  const unknown: FieldProblem[] = [];
  for (const name of new Set(query.keys())) {
    if (!allowed.includes(name))
      unknown.push({
        field: name.slice(0, 100),
        reason:
          allowed.length > 0 ? `unknown parameter (known: ${allowed.join(", ")})` : "takes no parameters",
      });
    else if (query.getAll(name).length > 1) unknown.push({ field: name, reason: "given more than once" });
  }
  if (unknown.length > 0) throw validationError("invalid query", unknown.slice(0, 20));
  return query;
}

export function uuid(value: string | undefined | null, field: string): string {
  if (value === undefined || value === null || value === "") return refuse(field, "required");
  checkText(value, field);
  if (!uuidForm.test(value)) return refuse(field, "must be a UUID");
  return value.toLowerCase();
}

/** A free-form id (aggregate, user, correlation): 1 to 200 characters, no control characters. */
export function plainId(value: string | undefined | null, field: string): string {
  if (value === undefined || value === null || value === "") return refuse(field, "required");
  checkText(value, field);
  if (value.length > 200) return refuse(field, "must be at most 200 characters");
  if (controlChars.test(value)) return refuse(field, "must not contain control characters");
  return value;
}

export function aggregateType(value: string | undefined | null, field = "aggregateType"): string {
  if (value === undefined || value === null || value === "") return refuse(field, "required");
  checkText(value, field);
  if (!aggregateTypeForm.test(value))
    return refuse(field, "must be an aggregate type such as Order (letters and digits, at most 100)");
  return value;
}

export function topicName(value: string | undefined, field = "topic"): string {
  if (value === undefined || value === "") return refuse(field, "required");
  checkText(value, field);
  if (!topicForm.test(value) || value === "." || value === "..")
    return refuse(field, "must be a Kafka topic name: 1 to 249 of A-Z a-z 0-9 . _ -");
  return value;
}

export function partitionNumber(value: string | undefined, field = "partition"): number {
  if (value === undefined || !/^\d{1,5}$/.test(value) || Number(value) > 10_000)
    return refuse(field, "must be a partition number from 0 to 10000");
  return Number(value);
}

/** A Kafka offset: a non-negative integer a double holds exactly (offsets stay far below 2^53). */
export function offsetParam(query: URLSearchParams, field = "offset"): number | undefined {
  const raw = query.get(field);
  if (raw === null || raw === "") return undefined;
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw)))
    return refuse(field, "must be an offset: an integer from 0 to 2^53 - 1");
  return Number(raw);
}

export const timeParam = (query: URLSearchParams, field = "time"): number | undefined => {
  const iso = dateTimeParam(query, field);
  return iso === undefined ? undefined : Date.parse(iso);
};

export const limitParam = (query: URLSearchParams, max: number, fallback: number): number =>
  intParam(query, "limit", { fallback: Math.min(fallback, max), min: 1, max });

export function deadLetterService(value: string | undefined, field = "service"): DeadLetterService {
  if (!(deadLetterServices as readonly string[]).includes(value ?? ""))
    return refuse(field, `must be one of ${deadLetterServices.join(", ")}`);
  return value as DeadLetterService;
}

export function deadLetterId(value: string | undefined, field = "id"): string {
  if (value === undefined || !/^[0-9]{1,18}$/.test(value))
    return refuse(field, "must be a dead-letter id (an integer)");
  return value;
}

export function runId(value: string | undefined, field = "runId"): string {
  if (value === undefined || !runIdForm.test(value) || value.includes(".."))
    return refuse(field, "must be a report's run id (letters, digits, . _ -; at most 128)");
  return value;
}

export const booleanParam = (query: URLSearchParams, field: string): boolean => {
  const raw = query.get(field);
  if (raw === null || raw === "" || raw === "false") return false;
  if (raw === "true") return true;
  return refuse(field, "must be true or false");
};
