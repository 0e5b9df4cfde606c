// Per stream, events.committed carries versions 1..n in order. A reader that remembers the last
// version it applied of each stream can therefore tell a duplicate (a version at or below it:
// applied before) from a gap (a version beyond the next one: some were never applied). A gap is
// never taken for a duplicate and never applied over: the event is parked with the reason.
import { streamOfEvent } from "@eventscope/contracts";

export interface Sequenced<T> {
  /** The next version of its stream each, in order: to apply. */
  next: T[];
  /** Versions applied before (a redelivery or a republish): to skip. */
  duplicates: T[];
  /** Versions with earlier ones missing: to park, with the version expected. */
  gaps: { event: T; stream: string; expected: number }[];
  /** The last version of each stream after applying `next`. */
  heads: Map<string, number>;
}

export interface SequenceOptions {
  /**
   * Epoch ms from which the reader records versions. A stream it has no version of, whose event
   * was stored before then, is taken up at that event's version: its earlier events were applied
   * before versions were recorded. Every stream stored since must start at version 1.
   */
  trackedSince?: number;
}

/** Sorts events by the last version applied of their stream (`applied`; 0 for a stream never seen). */
export function sequenceEvents<
  T extends { aggregateType: string; aggregateId: string; version: number; storedAt?: string },
>(events: T[], applied: ReadonlyMap<string, number>, options: SequenceOptions = {}): Sequenced<T> {
  const out: Sequenced<T> = { next: [], duplicates: [], gaps: [], heads: new Map() };
  for (const event of events) {
    const stream = streamOfEvent(event);
    const known = out.heads.get(stream) ?? applied.get(stream);
    const adopted =
      known === undefined &&
      options.trackedSince !== undefined &&
      event.storedAt !== undefined &&
      Date.parse(event.storedAt) < options.trackedSince;
    const last = adopted ? event.version - 1 : (known ?? 0);
    if (event.version <= last) out.duplicates.push(event);
    else if (event.version === last + 1) {
      out.next.push(event);
      out.heads.set(stream, event.version);
    } else out.gaps.push({ event, stream, expected: last + 1 });
  }
  return out;
}

export const gapReason = (gap: { stream: string; expected: number; event: { version: number } }): string =>
  `gap: ${gap.stream} is at version ${gap.expected - 1}, version ${gap.event.version} came before ${gap.expected}`;
