// The checks every event passes before it is published: shape, known event type, matching
// aggregate type, data schema, invariants. Above the envelope and the registry of domains.
import { storedEventType } from "./aliases.ts";
import type { EnvelopeInput, EnvelopeValidation, FieldProblem } from "./envelope.ts";
import { domainForEventType } from "./registry.ts";
import { checkEventData, checkEnvelopeShape } from "./schemas.ts";

const emptyData: Record<string, unknown> = Object.freeze({});

/** Checks an incoming envelope; every problem names its field as a JSON pointer. */
export function validateEnvelope(input: unknown): EnvelopeValidation {
  // Problem arrays are only created on failure: the valid path allocates just the result.
  let problems = checkEnvelopeShape(input);
  if (!isObject(input)) return { ok: false, problems: problems ?? [] };
  const envelope = input as EnvelopeInput;
  if (typeof envelope.eventType === "string" && envelope.eventType.length > 0) {
    const eventType = storedEventType(envelope.eventType);
    const domain = domainForEventType(eventType);
    if (!domain) {
      problems = add(problems, "/eventType", `unknown event type "${envelope.eventType}"`);
    } else {
      if (typeof envelope.aggregateType === "string" && envelope.aggregateType !== domain.aggregateType) {
        const reason = `must be "${domain.aggregateType}" for event type ${envelope.eventType}`;
        problems = add(problems, "/aggregateType", reason);
      }
      // A missing data object is checked as {} so required data fields are reported by name;
      // data that is not an object at all was already reported by the shape check.
      const data = envelope.data === undefined ? emptyData : envelope.data;
      if (isObject(data)) {
        const dataProblems = checkEventData(domain, eventType, data);
        if (dataProblems) problems = problems ? problems.concat(dataProblems) : dataProblems;
      }
    }
  }
  return problems ? { ok: false, problems } : { ok: true, envelope };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function add(problems: FieldProblem[] | undefined, field: string, reason: string): FieldProblem[] {
  const list = problems ?? [];
  list.push({ field, reason });
  return list;
}
