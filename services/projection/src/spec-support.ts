// Test support for the projection's unit specs: committed events as the store serves them.
import type { CommittedEvent } from "@eventscope/contracts";

let position = 0;

export interface Committed {
  aggregateId?: string;
  data?: Record<string, unknown>;
  version?: number;
  position?: number;
  timestamp?: string;
  schemaVersion?: number;
}

/** A committed event; positions count up across calls unless one is given. */
export function committed(aggregateType: string, eventType: string, options: Committed = {}): CommittedEvent {
  const at = options.position ?? ++position;
  return {
    eventId: crypto.randomUUID(),
    eventType,
    aggregateType,
    aggregateId: options.aggregateId ?? "a-1",
    timestamp: options.timestamp ?? new Date(Date.UTC(2025, 0, 15, 10, 0, at % 60)).toISOString(),
    data: options.data ?? {},
    metadata: { correlationId: "corr-1", source: "spec" },
    version: options.version ?? 1,
    position: String(at),
    storedAt: new Date(Date.UTC(2025, 0, 15, 10, 0, at % 60)).toISOString(),
    ...(options.schemaVersion === undefined ? {} : { schemaVersion: options.schemaVersion }),
  };
}
