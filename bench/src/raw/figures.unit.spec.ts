import { describe, expect, it } from "vitest";
import {
  achievedRate,
  cpuMsPerEvent,
  cpuMsPerEventByPart,
  firstDrained,
  ledgerOf,
  RAW_PARTS,
  type Counts,
} from "./figures.ts";
import { parseActivity } from "./ingest.ts";
import { byEventId } from "./read-model.ts";
import type { RawEvent } from "./schema.ts";

describe("CPU per event", () => {
  const cpu = {
    "raw-ingest": 20,
    "raw-store": 10,
    "raw-read-model": 5,
    kafka: 40,
    postgres: 25,
    vegeta: 30,
    other: 70,
  };

  it("adds the parts' mean CPU over the window and divides by the events accepted in it", () => {
    // 100 % of one core for 10 s = 10 s of CPU, over 5,000 events = 2 ms each; vegeta and other left out.
    expect(cpuMsPerEvent(cpu, RAW_PARTS, 10_000, 5000)).toBeCloseTo(2, 10);
    expect(cpuMsPerEventByPart(cpu, RAW_PARTS, 10_000, 5000)).toEqual({
      "raw-ingest": 0.4,
      "raw-store": 0.2,
      "raw-read-model": 0.1,
      kafka: 0.8,
      postgres: 0.5,
    });
  });

  it("counts a part with no sample as nothing, and is NaN with no event or no window", () => {
    expect(cpuMsPerEvent({ kafka: 50 }, RAW_PARTS, 2000, 1000)).toBe(1);
    expect(cpuMsPerEvent(cpu, RAW_PARTS, 10_000, 0)).toBeNaN();
    expect(cpuMsPerEvent(cpu, RAW_PARTS, 0, 100)).toBeNaN();
  });
});

describe("the count check", () => {
  const clean: Counts = {
    accepted: 1000,
    unanswered: 0,
    stored: 1000,
    storedDistinct: 1000,
    projected: 1000,
    applied: 1000,
  };

  it("is met when every accepted event is stored once and applied once", () => {
    expect(ledgerOf(clean)).toEqual({ lost: 0, duplicated: 0, unansweredStored: 0, ok: true });
  });

  it("counts an event missing from the store or from the read model as lost", () => {
    expect(ledgerOf({ ...clean, stored: 998, storedDistinct: 998, projected: 998, applied: 998 }).lost).toBe(
      2,
    );
    const notProjected = ledgerOf({ ...clean, projected: 997, applied: 997 });
    expect(notProjected.lost).toBe(3);
    expect(notProjected.ok).toBe(false);
  });

  it("counts a second row of an id and a second application as duplicates", () => {
    const l = ledgerOf({ ...clean, stored: 1003, applied: 1002 });
    expect(l.duplicated).toBe(5);
    expect(l.ok).toBe(false);
  });

  it("lets an unanswered request's event be stored, but no more of them than went unanswered", () => {
    const some = {
      ...clean,
      unanswered: 2,
      stored: 1002,
      storedDistinct: 1002,
      projected: 1002,
      applied: 1002,
    };
    expect(ledgerOf(some)).toEqual({ lost: 0, duplicated: 0, unansweredStored: 2, ok: true });
    expect(ledgerOf({ ...some, unanswered: 1 }).ok).toBe(false);
  });
});

describe("rates and the drain", () => {
  it("gives the accepted per second of load", () => {
    expect(achievedRate(15_000, 0, 15_000)).toBe(1000);
    expect(achievedRate(10, 5, 5)).toBeNaN();
  });

  it("takes the first sample at zero lag after the load ended, not one before it", () => {
    const samples = [
      { t: 900, lag: 0 },
      { t: 1000, lag: 40 },
      { t: 1200, lag: 3 },
      { t: 1400, lag: 0 },
      { t: 1600, lag: 0 },
    ];
    expect(firstDrained(samples, 1000)).toBe(1400);
    expect(firstDrained(samples.slice(0, 3), 1000)).toBeNull();
  });
});

describe("the raw processes' pure parts", () => {
  it("accepts the user-activity body and names the field of a bad one", () => {
    expect(parseActivity({ userId: "u1", eventType: "click", metadata: { page: "/" } })).toEqual({
      ok: true,
      value: { userId: "u1", eventType: "click", metadata: { page: "/" } },
    });
    expect(parseActivity({ userId: "u1", eventType: "click" })).toMatchObject({
      ok: true,
      value: { metadata: {} },
    });
    expect(parseActivity({ eventType: "click" })).toMatchObject({ ok: false, field: "userId" });
    expect(parseActivity({ userId: "u1", eventType: "" })).toMatchObject({ ok: false, field: "eventType" });
    expect(parseActivity({ userId: "u1", eventType: "x", metadata: [1] })).toMatchObject({
      ok: false,
      field: "metadata",
    });
    expect(parseActivity([1])).toMatchObject({ ok: false, field: "body" });
  });

  it("folds an event delivered twice in one batch into one row applied twice", () => {
    const e = (id: string): RawEvent => ({
      eventId: id,
      userId: "u",
      eventType: "t",
      metadata: {},
      acceptedAt: 1,
    });
    const folded = byEventId([e("a"), e("b"), e("a"), e("c"), e("a")]);
    expect(folded.events.map((x) => x.eventId)).toEqual(["a", "b", "c"]);
    expect(folded.counts).toEqual([3, 1, 1]);
  });
});
