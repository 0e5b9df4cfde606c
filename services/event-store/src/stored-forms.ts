// What a decided batch is stored as, beside the events themselves: each event's personal fields
// sealed with its subject's key, the ingest record it came from, and the subjects its erasing
// events erase (whose keys and snapshots go in the same statement as the events).
import {
  domainForAggregateType,
  personalFieldsOf,
  streamIdOf,
  subjectErasedBy,
  upcast,
  type EventEnvelope,
} from "@eventscope/contracts";
import type { Pool } from "@eventscope/platform";
import type { AppendBatch } from "./decide.ts";
import type { Incoming } from "./parse.ts";
import type { StoredForms } from "./store.ts";
import { sealPersonalData, sealPersonalState, subjectKeysFor, type SubjectKey } from "./subject-keys.ts";

/**
 * Domains decide and evolve with current-version data while the store keeps each event as it
 * was written: decides the upcast events, then puts the written ones back into the batch.
 */
export function decideWritten<R extends { batch: AppendBatch }>(
  envelopes: EventEnvelope[],
  decide: (current: EventEnvelope[]) => R,
): R {
  const writtenOf = new Map<EventEnvelope, EventEnvelope>();
  const current = envelopes.map((written) => {
    const read = upcast(written);
    if (read !== written) writtenOf.set(read, written);
    return read;
  });
  const decision = decide(current);
  if (writtenOf.size === 0) return decision;
  for (const e of decision.batch.events) e.envelope = writtenOf.get(e.envelope) ?? e.envelope;
  for (const r of decision.batch.rejections) r.envelope = writtenOf.get(r.envelope) ?? r.envelope;
  return decision;
}

export async function storedForms(
  pool: Pool,
  batch: AppendBatch,
  items: Incoming[],
  keys: Map<string, SubjectKey>,
): Promise<StoredForms> {
  const forms: StoredForms = { origins: new Map() };
  for (const item of items) if (item.origin) forms.origins!.set(item.envelope.eventId, item.origin);
  const subjects: string[] = [];
  const erasedSubjects: string[] = [];
  const erasedStreams = new Set<string>();
  const aggregateOf = new Map<string, EventEnvelope>();
  for (const { envelope, streamId } of batch.events) {
    aggregateOf.set(streamId, envelope);
    const personal = personalFieldsOf(envelope);
    if (personal) subjects.push(personal.subject);
    const erased = subjectErasedBy(envelope);
    if (erased !== undefined) {
      erasedSubjects.push(erased);
      erasedStreams.add(streamId);
    }
  }
  if (erasedSubjects.length > 0) {
    forms.erased = { subjects: erasedSubjects, streams: [...erasedStreams] };
    // A snapshot taken in the erasing batch would hold the state again.
    batch.snapshots = batch.snapshots.filter((s) => !erasedStreams.has(s.streamId));
  }
  // A snapshot of an aggregate with personal data has its personal state fields sealed too.
  const snapshotSubjects = new Map<string, { subject: string; fields: readonly string[] }>();
  for (const snapshot of batch.snapshots) {
    const event = aggregateOf.get(snapshot.streamId);
    const personal = event && domainForAggregateType(event.aggregateType)?.personalData;
    const subject = personal ? personal.subjectOf({ aggregateId: event.aggregateId, data: {} }) : undefined;
    if (!personal || subject === undefined) continue;
    snapshotSubjects.set(snapshot.streamId, { subject, fields: personal.stateFields });
    subjects.push(subject);
  }
  if (subjects.length === 0) return forms;
  const found = await subjectKeysFor(pool, subjects, keys);
  forms.sealed = new Map();
  for (const { envelope } of batch.events) {
    if (personalFieldsOf(envelope)) forms.sealed.set(envelope.eventId, sealPersonalData(envelope, found));
  }
  forms.snapshotSubjects = new Map();
  for (const snapshot of batch.snapshots) {
    const sealing = snapshotSubjects.get(snapshot.streamId);
    if (!sealing) continue;
    const key = found.get(sealing.subject) ?? "erased";
    forms.snapshotSubjects.set(snapshot.streamId, {
      subject: sealing.subject,
      state: sealPersonalState(snapshot.state, sealing.fields, sealing.subject, key),
    });
  }
  return forms;
}

/** The streams whose snapshots an erasure of `subject` drops (its aggregates in domains with personal data). */
export const streamsOfSubject = (subject: string, aggregateTypes: string[]): string[] =>
  aggregateTypes.map((type) => streamIdOf(type, subject));
