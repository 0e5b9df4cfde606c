// The checks every event passes before it is published: shape, known event type, matching
// aggregate type, data schema, invariants. Above the envelope and the registry of domains.
import { storedEventType } from "./aliases.ts";
import type { EnvelopeInput, EnvelopeValidation, FieldProblem } from "./envelope.ts";
import type { Domain } from "./domain.ts";
import { domainForEventType } from "./registry.ts";
import { checkDataInvariant, checkEventData, checkEnvelopeShape } from "./schemas.ts";
import { upcastData } from "./upcast.ts";

const emptyData: Record<string, unknown> = Object.freeze({});

/** Checks an incoming envelope; every problem names its field as a JSON pointer. */
export function validateEnvelope(input: unknown): EnvelopeValidation {
  // Problem arrays are only created on failure: the valid path allocates just the result.
  let problems = checkEnvelopeShape(input);
  let schemaVersion = 1;
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
        const checked = checkVersionedData(domain, eventType, data, envelope.schemaVersion);
        schemaVersion = checked.schemaVersion;
        if (checked.problems) problems = problems ? problems.concat(checked.problems) : checked.problems;
      }
    }
  }
  return problems ? { ok: false, problems } : { ok: true, envelope, schemaVersion };
}

/**
 * Checks data against the schema version the envelope names; without one, against the newest
 * version it fits (a client written before a change keeps working), else the current one's
 * problems. The invariants run on the data upcast to the current version.
 */
function checkVersionedData(
  domain: Domain,
  eventType: string,
  data: Record<string, unknown>,
  declared: unknown,
): { schemaVersion: number; problems?: FieldProblem[] | undefined } {
  const current = (domain.versions?.[eventType]?.earlier.length ?? 0) + 1;
  let schemaVersion = current;
  let problems: FieldProblem[] | undefined;
  if (
    declared !== undefined &&
    !(typeof declared === "number" && Number.isInteger(declared) && declared >= 1)
  ) {
    return { schemaVersion: current }; // reported by the shape check
  }
  if (typeof declared === "number") {
    if (declared > current) {
      const reason = `${eventType} has schema versions 1 to ${current}, not ${declared}`;
      return { schemaVersion: current, problems: [{ field: "/schemaVersion", reason }] };
    }
    schemaVersion = declared;
    problems = checkEventData(domain, eventType, data, declared);
  } else {
    problems = checkEventData(domain, eventType, data);
    for (let older = current - 1; problems && older >= 1; older--) {
      if (!checkEventData(domain, eventType, data, older)) {
        schemaVersion = older;
        problems = undefined;
      }
    }
  }
  if (problems) return { schemaVersion, problems };
  const upcast = upcastData(domain, eventType, data, schemaVersion);
  return { schemaVersion, problems: checkDataInvariant(domain, eventType, upcast) };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function add(problems: FieldProblem[] | undefined, field: string, reason: string): FieldProblem[] {
  const list = problems ?? [];
  list.push({ field, reason });
  return list;
}
