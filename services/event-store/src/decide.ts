import {
  domainForAggregateType,
  rehydrate,
  rejectionCodes,
  streamIdOf,
  type CommittedEvent,
  type EventEnvelope,
} from "@eventscope/contracts";

// What the decider produces and the store appends: the decider owns these types, the SQL
// module (store.ts) imports them, never the other way round.

export interface NewEvent {
  envelope: EventEnvelope;
  streamId: string;
  version: number;
}

export interface Rejection {
  envelope: EventEnvelope;
  streamId: string;
  code: string;
  reason: string;
}

export interface Snapshot {
  streamId: string;
  aggregateType?: string;
  version: number;
  state: unknown;
}

export interface AppendBatch {
  events: NewEvent[];
  rejections: Rejection[];
  snapshots: Snapshot[];
}

export interface Head {
  version: number;
  state: unknown;
  /** Set when the stream is closed (see lifecycle.ts): its new events are rejected. */
  lifecycle?: "archived" | "tombstoned";
}

export const WRONG_EXPECTED_VERSION = rejectionCodes.wrongExpectedVersion;
export const STREAM_ARCHIVED = rejectionCodes.streamArchived;
export const STREAM_TOMBSTONED = rejectionCodes.streamTombstoned;

const closedStream = (streamId: string, lifecycle: "archived" | "tombstoned") =>
  lifecycle === "archived"
    ? { code: STREAM_ARCHIVED, reason: `${streamId} is archived: read-only, it takes no new events` }
    : {
        code: STREAM_TOMBSTONED,
        reason: `${streamId} is tombstoned: closed for good, it takes no new events`,
      };

/**
 * Decides a chunk of new events in order against their aggregates. Pure: it reads the heads it
 * is given and returns the batch to append plus the heads after it, leaving the cache untouched
 * until the append has committed.
 */
export function decideBatch(
  events: EventEnvelope[],
  headOf: (streamId: string) => Head | undefined,
  snapshotEvery: number,
): { batch: AppendBatch; heads: Map<string, Head> } {
  const working = new Map<string, Head>();
  const batch: AppendBatch = { events: [], rejections: [], snapshots: [] };
  for (const envelope of events) {
    const domain = domainForAggregateType(envelope.aggregateType);
    const streamId = streamIdOf(envelope.aggregateType, envelope.aggregateId);
    if (!domain) {
      batch.rejections.push({
        envelope,
        streamId,
        code: rejectionCodes.unknownAggregateType,
        reason: `no domain declares aggregate type ${envelope.aggregateType}`,
      });
      continue;
    }
    const head = working.get(streamId) ?? headOf(streamId) ?? { version: 0, state: domain.initial() };
    if (head.lifecycle) {
      batch.rejections.push({ envelope, streamId, ...closedStream(streamId, head.lifecycle) });
      continue;
    }
    if (envelope.version !== undefined && envelope.version !== head.version + 1) {
      batch.rejections.push({
        envelope,
        streamId,
        code: WRONG_EXPECTED_VERSION,
        reason: `expected stream version ${envelope.version - 1}, but ${streamId} is at version ${head.version}`,
      });
      continue;
    }
    const decision = domain.decide(head.state, envelope);
    if (!decision.accepted) {
      batch.rejections.push({ envelope, streamId, code: decision.code, reason: decision.reason });
      continue;
    }
    const next: Head = { version: head.version + 1, state: domain.evolve(head.state, envelope) };
    working.set(streamId, next);
    batch.events.push({ envelope, streamId, version: next.version });
    if (snapshotEvery > 0 && next.version % snapshotEvery === 0) {
      batch.snapshots.push({
        streamId,
        aggregateType: envelope.aggregateType,
        version: next.version,
        state: next.state,
      });
    }
  }
  return { batch, heads: working };
}

/** A head rebuilt from the latest snapshot and the events after it. */
export function headFrom(
  aggregateType: string,
  snapshot: Snapshot | undefined,
  events: CommittedEvent[],
): Head {
  const domain = domainForAggregateType(aggregateType);
  if (!domain) return { version: events.at(-1)?.version ?? snapshot?.version ?? 0, state: null };
  const start = snapshot ? snapshot.state : domain.initial();
  return {
    version: events.at(-1)?.version ?? snapshot?.version ?? 0,
    state: rehydrate(domain, events, start),
  };
}
