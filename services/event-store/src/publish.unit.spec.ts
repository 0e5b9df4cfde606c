import { describe, expect, it } from "vitest";
import type { CommittedEvent } from "@eventscope/contracts";
import { inStreamOrder } from "./publish.ts";

const event = (aggregateId: string, version: number): CommittedEvent => ({
  eventId: `${aggregateId}-${version}`,
  eventType: "tick",
  aggregateType: "User",
  aggregateId,
  timestamp: new Date(0).toISOString(),
  version,
  position: String(version),
  storedAt: new Date(0).toISOString(),
  data: {},
  metadata: { correlationId: "c", source: "test" },
});
const versions = (events: CommittedEvent[]) => events.map((e) => `${e.aggregateId}:${e.version}`);

describe("inStreamOrder: what the store publishes to events.committed", () => {
  it("sends events stored before a crash ahead of the newer ones of their stream", () => {
    // New events decided in this chunk first, then the redelivered ones stored before the crash.
    const chunk = [event("a", 31), event("b", 1), event("a", 32), event("a", 29), event("a", 30)];
    expect(versions(inStreamOrder(chunk))).toEqual(["a:29", "a:30", "a:31", "a:32", "b:1"]);
  });

  it("sends a version once even when the chunk holds it twice", () => {
    expect(versions(inStreamOrder([event("a", 1), event("a", 1), event("a", 2)]))).toEqual(["a:1", "a:2"]);
  });
});
