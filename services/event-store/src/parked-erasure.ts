// The event store's parked messages (dead_letters) of an erased data subject are redacted in the
// transaction that deletes the subject's key: the personal values are read from the subject's
// stored events while the key still opens them, then every parked message holding one of them or
// the subject id keeps none (the platform's eraseParkedMessages).
import { erasedValue, personalFieldsOf, subjectErasedBy, type EventEnvelope } from "@eventscope/contracts";
import { eraseParkedMessages, withTransaction, type Pool, type PoolClient } from "@eventscope/platform";
import { openPersonalData } from "./subject-keys.ts";

/** The string values of the personal fields of a subject's stored events, opened with its key. */
export async function personalValuesOf(client: PoolClient, subject: string): Promise<string[]> {
  const { rows } = await client.query<{
    event_type: string;
    aggregate_id: string;
    data: Record<string, unknown>;
    wrapped_key: string | null;
  }>(
    `SELECT e.event_type, e.aggregate_id, e.data, k.wrapped_key FROM events e
     JOIN subject_keys k ON k.subject_id = e.pii_subject WHERE e.pii_subject = $1`,
    [subject],
  );
  const values = new Set<string>();
  for (const row of rows) {
    const event = { eventType: row.event_type, aggregateId: row.aggregate_id, data: row.data };
    const data = openPersonalData(event, subject, row.wrapped_key);
    for (const field of personalFieldsOf(event)?.fields ?? []) {
      const value = data[field];
      if (typeof value === "string" && value !== erasedValue) values.add(value);
    }
  }
  return [...values];
}

/** Runs `erase` (which deletes the subjects' keys) and redacts their parked messages, in one transaction. */
export function erasingParked<T>(
  pool: Pool,
  erasures: { subjectId: string; eventType: string; eventId: string }[],
  erase: (client: PoolClient) => Promise<T>,
): Promise<T> {
  return withTransaction(pool, async (client) => {
    const values = new Map<string, string[]>();
    for (const { subjectId } of erasures) values.set(subjectId, await personalValuesOf(client, subjectId));
    const out = await erase(client);
    for (const erasure of erasures)
      await eraseParkedMessages(client, { ...erasure, values: values.get(erasure.subjectId) ?? [] });
    return out;
  });
}

/** The erasures the events of an append carry: the subject and the event that erases it. */
export const erasuresIn = (events: { envelope: EventEnvelope }[]) =>
  events.flatMap(({ envelope }) => {
    const subjectId = subjectErasedBy(envelope);
    return subjectId === undefined
      ? []
      : [{ subjectId, eventType: envelope.eventType, eventId: envelope.eventId }];
  });
