import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "@eventscope/contracts";
import { decideBatch, WRONG_EXPECTED_VERSION } from "./decide.ts";

let n = 0;
const event = (
  eventType: string,
  aggregateId: string,
  data: Record<string, unknown>,
  version?: number,
): EventEnvelope => ({
  eventId: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
  eventType,
  aggregateType: "Task",
  aggregateId,
  timestamp: new Date(0).toISOString(),
  data,
  metadata: { correlationId: "c", source: "test" },
  ...(version === undefined ? {} : { version }),
});

describe("decideBatch", () => {
  it("gives each accepted event the next version of its stream and rejects illegal transitions", () => {
    const { batch, heads } = decideBatch(
      [
        event("TaskCreated", "a", { title: "one" }),
        event("TaskCompleted", "b", {}),
        event("TaskUpdated", "a", { title: "two" }),
        event("TaskCreated", "b", { title: "bee" }),
      ],
      () => undefined,
      0,
    );
    expect(batch.events.map((e) => [e.streamId, e.version])).toEqual([
      ["Task-a", 1],
      ["Task-a", 2],
      ["Task-b", 1],
    ]);
    expect(batch.rejections).toHaveLength(1);
    expect(batch.rejections[0]!.streamId).toBe("Task-b");
    expect(heads.get("Task-a")!.version).toBe(2);
  });

  it("rejects an event whose expected version is not the stream's next", () => {
    const known = decideBatch([event("TaskCreated", "c", { title: "t" })], () => undefined, 0).heads.get(
      "Task-c",
    )!;
    const { batch } = decideBatch(
      [event("TaskUpdated", "c", { title: "late" }, 2), event("TaskUpdated", "c", { title: "ok" }, 2)],
      () => ({ ...known, version: 1 }),
      0,
    );
    expect(batch.events).toHaveLength(1);
    expect(batch.events[0]!.version).toBe(2);
    expect(batch.rejections[0]!.code).toBe(WRONG_EXPECTED_VERSION);
    expect(batch.rejections[0]!.reason).toContain("is at version 2");
  });

  it("takes a snapshot when a stream reaches a multiple of the interval", () => {
    const events = [
      event("TaskCreated", "d", { title: "0" }),
      ...[1, 2, 3, 4].map((i) => event("TaskUpdated", "d", { title: String(i) })),
    ];
    const { batch } = decideBatch(events, () => undefined, 2);
    expect(batch.snapshots.map((s) => s.version)).toEqual([2, 4]);
    // Version 4 is the third update.
    expect(batch.snapshots[1]!.state).toMatchObject({ title: "3" });
  });
});
