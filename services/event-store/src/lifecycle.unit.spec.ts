import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "@eventscope/contracts";
import { decideBatch, STREAM_ARCHIVED, STREAM_TOMBSTONED, type Head } from "./decide.ts";
import { lifecycleMove } from "./lifecycle.ts";
import { dateRange, MAX_RANGE_DAYS } from "./query-routes.ts";

let n = 0;
const event = (eventType: string, aggregateId: string, data: Record<string, unknown>): EventEnvelope => ({
  eventId: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
  eventType,
  aggregateType: "Task",
  aggregateId,
  timestamp: new Date(0).toISOString(),
  data,
  metadata: { correlationId: "c", source: "test" },
});

describe("stream lifecycle", () => {
  it("rejects new events of archived and tombstoned streams and decides the open ones as before", () => {
    const heads = new Map<string, Head>([
      ["Task-open", { version: 1, state: { status: "Open", title: "t" } }],
      ["Task-kept", { version: 1, state: { status: "Open", title: "t" }, lifecycle: "archived" }],
      ["Task-gone", { version: 3, state: { status: "Completed", title: "t" }, lifecycle: "tombstoned" }],
    ]);
    const { batch } = decideBatch(
      [
        event("TaskUpdated", "kept", { title: "late" }),
        event("TaskUpdated", "open", { title: "fine" }),
        event("TaskUpdated", "gone", { title: "later" }),
      ],
      (id) => heads.get(id),
      0,
    );
    expect(batch.events.map((e) => [e.streamId, e.version])).toEqual([["Task-open", 2]]);
    expect(batch.rejections.map((r) => [r.streamId, r.code])).toEqual([
      ["Task-kept", STREAM_ARCHIVED],
      ["Task-gone", STREAM_TOMBSTONED],
    ]);
    expect(batch.rejections[0]!.reason).toContain("archived");
  });

  it("lets an open stream be archived or tombstoned, an archived one tombstoned, and a tombstone nothing", () => {
    expect(lifecycleMove("open", "archived")).toBe("change");
    expect(lifecycleMove("open", "tombstoned")).toBe("change");
    expect(lifecycleMove("archived", "tombstoned")).toBe("change");
    expect(lifecycleMove("archived", "archived")).toBe("unchanged");
    expect(lifecycleMove("tombstoned", "tombstoned")).toBe("unchanged");
    expect(lifecycleMove("tombstoned", "archived")).toBe("refused");
  });
});

describe("date range of the event queries", () => {
  const q = (s: string) => new URLSearchParams(s);
  const fieldOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as { problems: { field: string }[] }).problems[0]!.field;
    }
    return undefined;
  };

  it("takes either end, both, or none, normalised to UTC", () => {
    expect(dateRange(q("from=2026-01-01&to=2026-01-02T00:00:00%2B01:00"))).toEqual({
      from: "2026-01-01T00:00:00.000Z",
      to: "2026-01-01T23:00:00.000Z",
    });
    expect(dateRange(q(""))).toEqual({});
    expect(dateRange(q("to=2026-01-01"))).toEqual({ to: "2026-01-01T00:00:00.000Z" });
  });

  it("refuses bad dates, from after to and ranges wider than the limit, naming the field", () => {
    expect(fieldOf(() => dateRange(q("from=yesterday")))).toBe("from");
    expect(fieldOf(() => dateRange(q("to=2026-13-45")))).toBe("to");
    expect(fieldOf(() => dateRange(q("from=2026-02-01&to=2026-01-01")))).toBe("from");
    expect(fieldOf(() => dateRange(q("from=2020-01-01&to=2026-01-01")))).toBe("to");
    const now = Date.parse("2026-06-01T00:00:00Z");
    expect(fieldOf(() => dateRange(q("from=2020-01-01"), now))).toBe("from");
    const edge = new Date(now - MAX_RANGE_DAYS * 86_400_000).toISOString();
    expect(dateRange(q(`from=${edge}`), now)).toEqual({ from: edge });
  });
});
