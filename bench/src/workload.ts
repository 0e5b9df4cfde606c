// The events every system under test appends: task events (the .NET seed's TaskCreated /
// TaskUpdated) with ~280 bytes of JSON data and the envelope metadata the producer stamps,
// generated once per benchmark cell and appended unchanged by each system.
import { randomUUID } from "node:crypto";
import type { EventEnvelope } from "@eventscope/contracts";

/** How the events of one append are spread over streams. */
export type Shape = "multi-stream" | "single-stream";

export interface PlannedEvent {
  envelope: EventEnvelope;
  /** `${aggregateType}-${aggregateId}`, as the store names streams. */
  streamId: string;
  /** The stream version the store will give it (the raw insert writes it as is). */
  version: number;
}

/** The appends of one writer, in order: each inner array is one append call. */
export type WriterPlan = PlannedEvent[][];

export interface WorkloadOptions {
  shape: Shape;
  batchSize: number;
  writers: number;
  /** Events in all, spread evenly over the writers (rounded down to whole batches). */
  events: number;
  /** multi-stream: streams in all, split between the writers. */
  streams?: number;
  /** single-stream: streams each writer rotates its appends over. */
  streamsPerWriter?: number;
}

export const DEFAULT_STREAMS = 10_000;
export const DEFAULT_STREAMS_PER_WRITER = 8;

const words = [
  "prepare",
  "quarterly",
  "report",
  "regional",
  "figures",
  "review",
  "customer",
  "onboarding",
  "checklist",
  "migrate",
  "billing",
  "service",
  "update",
  "dashboard",
  "alerts",
  "schedule",
  "release",
  "notes",
  "contract",
  "renewal",
  "inventory",
  "audit",
  "warehouse",
  "shipment",
];

/** Deterministic filler text of exactly `length` characters. */
function text(seed: number, length: number): string {
  let out = "";
  let i = seed;
  while (out.length < length) {
    out += (out ? " " : "") + words[i % words.length]!;
    i = (i * 7 + 3) % 9973;
  }
  return out.slice(0, length);
}

const hex = (n: number) => randomUUID().replaceAll("-", "").slice(0, n);

/** Task data of ~280 bytes once serialised. */
export function taskData(seed: number): Record<string, unknown> {
  return {
    title: `${text(seed, 60)} #${seed % 1000}`,
    description: text(seed + 11, 130),
    assignee: `user-${String(seed % 5000).padStart(4, "0")}@example.com`,
    dueDate: `2027-${String((seed % 12) + 1).padStart(2, "0")}-${String((seed % 28) + 1).padStart(2, "0")}`,
  };
}

/** One envelope as the producer hands it to the store: no version, metadata stamped. */
export function taskEvent(aggregateId: string, version: number, seed: number, at: Date): PlannedEvent {
  const userId = `user-${String(seed % 5000).padStart(4, "0")}`;
  const envelope: EventEnvelope = {
    eventId: randomUUID(),
    eventType: version === 1 ? "TaskCreated" : "TaskUpdated",
    aggregateId,
    aggregateType: "Task",
    timestamp: at.toISOString(),
    data: taskData(seed),
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      userId,
      source: "producer",
      traceparent: `00-${hex(32)}-${hex(16)}-01`,
      acceptedAt: new Date(at.getTime() + 2).toISOString(),
    },
  };
  return { envelope, streamId: `Task-${aggregateId}`, version };
}

/**
 * The appends of each writer. Writers own disjoint streams (as Kafka partitions keyed by
 * aggregate id give each consumer its own), so concurrent appends never conflict.
 * - multi-stream: a writer's events go round-robin over its streams, so an append of N events
 *   touches N distinct streams (while N <= streams per writer) and each stream grows slowly.
 * - single-stream: every append is N consecutive events of one stream; a writer rotates its
 *   appends over a few streams, which grow by N per append.
 */
export function planWorkload(options: WorkloadOptions): WriterPlan[] {
  const { shape, batchSize, writers } = options;
  const batchesPerWriter = Math.max(1, Math.floor(options.events / writers / batchSize));
  const streamsPerWriter =
    shape === "multi-stream"
      ? Math.max(1, Math.floor((options.streams ?? DEFAULT_STREAMS) / writers))
      : (options.streamsPerWriter ?? DEFAULT_STREAMS_PER_WRITER);
  const start = Date.now();
  const plans: WriterPlan[] = [];
  let seed = 0;
  for (let w = 0; w < writers; w++) {
    const ids = Array.from({ length: streamsPerWriter }, () => randomUUID());
    const versions = new Array<number>(streamsPerWriter).fill(0);
    const plan: WriterPlan = [];
    let cursor = 0;
    for (let b = 0; b < batchesPerWriter; b++) {
      const batch: PlannedEvent[] = [];
      const single = b % streamsPerWriter;
      for (let i = 0; i < batchSize; i++) {
        const s = shape === "multi-stream" ? cursor++ % streamsPerWriter : single;
        const version = ++versions[s]!;
        batch.push(taskEvent(ids[s]!, version, seed, new Date(start + seed)));
        seed++;
      }
      plan.push(batch);
    }
    plans.push(plan);
  }
  return plans;
}

/** Distinct streams an append touches (for the description of each row). */
export const streamsPerAppend = (plans: WriterPlan[]): number => {
  const first = plans[0]?.[0] ?? [];
  return new Set(first.map((e) => e.streamId)).size;
};
