// Personal data erasure in the process manager. A customer's deletion or erasure (CustomerDeleted,
// CustomerErased), in the transaction that consumes it and after every saga has been fed it,
// drops the personal fields (e-mail, phone, names, device) the state of the customer's processes
// kept, and the personal values in their steps' envelopes (they read "[erased]"). A step not sent
// yet that carried them is refused with the reason instead, so nothing more goes out with them;
// the processes go on (a saga that needed the data skips the step, as onboarding's reminder).
import { erasedValue, personalFieldsOf, type EventEnvelope } from "@eventscope/contracts";
import { eraseParkedMessages, type PoolClient } from "@eventscope/platform";
import { onboardingProcessId } from "./sagas/onboarding.ts";

export interface Erasure {
  subjectId: string;
  eventId: string;
  eventType: string;
}

/** The keys of a process state holding personal data, wherever they are nested. */
export const personalStateKeys = new Set([
  "email",
  "phone",
  "name",
  "givenName",
  "familyName",
  "deviceToken",
]);

/** Why a pending step of an erased customer is not sent; its last_error. */
export const erasedStepReason = (e: Erasure) =>
  `skipped: the customer's personal data was erased (${e.eventType} ${e.eventId})`;

const MIN_SUBSTRING = 5;

/** The state with personal keys set to null, and the string values they held. */
function forget(value: unknown, found: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => forget(v, found));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (personalStateKeys.has(key) && v !== null && typeof v !== "object") {
      if (typeof v === "string" && v !== erasedValue) found.add(v);
      out[key] = null;
    } else out[key] = forget(v, found);
  }
  return out;
}

function redact(value: unknown, values: Set<string>): unknown {
  if (typeof value === "string") {
    if (values.has(value)) return erasedValue;
    let out = value;
    for (const v of values) if (v.length >= MIN_SUBSTRING) out = out.split(v).join(erasedValue);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, values));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, values)]));
  return value;
}

const personalOf = (envelope: EventEnvelope, values: Set<string>): void => {
  for (const field of personalFieldsOf(envelope)?.fields ?? []) {
    const v = envelope.data[field];
    if (typeof v === "string" && v !== erasedValue) values.add(v);
  }
};

/** Redacts the processes and steps of each erased customer; returns how many processes it touched. */
export async function eraseSubjects(client: PoolClient, erasures: Erasure[]): Promise<number> {
  let touched = 0;
  for (const erasure of erasures) {
    await client.query(
      `INSERT INTO erased_subjects (subject_id, event_id, event_type) VALUES ($1, $2, $3)
       ON CONFLICT (subject_id) DO NOTHING`,
      [erasure.subjectId, erasure.eventId, erasure.eventType],
    );
    const { rows: processes } = await client.query<{ id: string; state: unknown }>(
      `SELECT id, state FROM processes WHERE id = $1 OR (state ? 'customerId' AND state ->> 'customerId' = $2)
       ORDER BY id FOR UPDATE`,
      [onboardingProcessId(erasure.subjectId), erasure.subjectId],
    );
    if (processes.length === 0) {
      await eraseParkedMessages(client, { ...erasure, values: [] });
      continue;
    }
    const ids = processes.map((p) => p.id);
    const { rows: steps } = await client.query<{
      event_id: string;
      status: string;
      envelope: EventEnvelope;
      last_error: string | null;
    }>(
      `SELECT event_id, status, envelope, last_error FROM process_steps WHERE process_id = ANY($1::text[])
       ORDER BY seq FOR UPDATE`,
      [ids],
    );
    const values = new Set<string>();
    const states = processes.map((p) => ({ id: p.id, before: p.state, state: forget(p.state, values) }));
    for (const step of steps) personalOf(step.envelope, values);
    for (const { id, before, state } of states) {
      const after = JSON.stringify(redact(state, values));
      // A process that kept nothing personal (an order's) is left as it is.
      if (after === JSON.stringify(before)) continue;
      await client.query("UPDATE processes SET state = $2, updated_at = now() WHERE id = $1", [id, after]);
    }
    for (const step of steps) {
      const data = { ...step.envelope.data };
      for (const field of personalFieldsOf(step.envelope)?.fields ?? []) data[field] = erasedValue;
      const envelope = redact({ ...step.envelope, data }, values);
      const changed = JSON.stringify(envelope) !== JSON.stringify(step.envelope);
      const lastError = step.last_error && (redact(step.last_error, values) as string);
      if (!changed && lastError === step.last_error) continue;
      const refuse = changed && step.status === "pending";
      await client.query(
        "UPDATE process_steps SET envelope = $2, status = $3, last_error = $4 WHERE event_id = $1",
        [
          step.event_id,
          JSON.stringify(envelope),
          refuse ? "refused" : step.status,
          refuse ? erasedStepReason(erasure) : lastError,
        ],
      );
    }
    // A message of theirs this service parked keeps the same values: redacted with the rest.
    await eraseParkedMessages(client, { ...erasure, values });
    touched += processes.length;
  }
  return touched;
}
