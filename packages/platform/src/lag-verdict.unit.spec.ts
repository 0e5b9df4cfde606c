import { describe, expect, it } from "vitest";
import {
  addSample,
  emptyWindow,
  evaluatePartition,
  noteActivity,
  verdictValue,
  worstVerdict,
  type LagSample,
  type PartitionWindow,
  type Verdict,
} from "./lag-verdict.ts";

const size = 5;
const interval = 1000;
const windowMs = size * interval;
const t0 = 1_700_000_000_000;

/** A window fed with (committed, high) pairs, one sample per second from t0. */
function feed(points: [committed: number, high: number][], start = emptyWindow(t0)): PartitionWindow {
  let w = start;
  points.forEach(([committed, high], i) => {
    const sample: LagSample = { at: t0 + i * interval, committed, high, lag: high - committed };
    w = addSample(w, sample, { size });
  });
  return w;
}

const lastAt = (w: PartitionWindow) => w.samples.at(-1)!.at;
const verdict = (w: PartitionWindow, now = lastAt(w)): Verdict =>
  evaluatePartition(w, { now, size, windowMs });

describe("addSample", () => {
  it("keeps at most `size` samples, oldest first", () => {
    const w = feed([
      [0, 10],
      [1, 10],
      [2, 10],
      [3, 10],
      [4, 10],
      [5, 10],
      [6, 10],
    ]);
    expect(w.samples.map((s) => s.committed)).toEqual([2, 3, 4, 5, 6]);
  });

  it("notes the time of the last commit: when the committed offset advanced", () => {
    const w = feed([
      [0, 10],
      [3, 10],
      [3, 10],
      [3, 10],
    ]);
    expect(w.lastCommitAt).toBe(t0 + interval);
  });

  it("restarts the window after a rewind (an offset reset), as Burrow's REWIND is not a verdict here", () => {
    const w = feed([
      [50, 100],
      [60, 100],
      [10, 100],
    ]);
    expect(w.samples).toHaveLength(1);
    expect(w.samples[0]!.committed).toBe(10);
    expect(w.lastRewindAt).toBe(t0 + 2 * interval);
    expect(w.since).toBe(t0 + 2 * interval);
    expect(verdict(w)).toBe("OK");
  });

  it("keeps the window at one sample at least", () => {
    const w = addSample(emptyWindow(t0), { at: t0, committed: 0, high: 1, lag: 1 }, { size: 0 });
    expect(w.samples).toHaveLength(1);
  });
});

describe("evaluatePartition (Burrow's rules)", () => {
  it("is OK without samples", () => {
    expect(evaluatePartition(emptyWindow(t0), { now: t0, size, windowMs })).toBe("OK");
  });

  it("rule 1: OK when the lag is zero now, whatever came before", () => {
    const w = feed([
      [0, 10],
      [0, 20],
      [0, 30],
      [0, 40],
      [40, 40],
    ]);
    expect(verdict(w, lastAt(w) + 60_000)).toBe("OK");
  });

  it("rule 1: OK when the lag was zero anywhere in the window, even if it grows now", () => {
    const w = feed([
      [10, 10],
      [10, 12],
      [11, 15],
      [12, 19],
      [13, 30],
    ]);
    expect(verdict(w)).toBe("OK");
  });

  it("rule 3: STOP when nothing was committed for longer than the window while there is lag", () => {
    const w = feed([
      [5, 10],
      [5, 10],
      [5, 10],
      [5, 10],
      [5, 10],
    ]);
    expect(verdict(w, t0 + windowMs + 1)).toBe("STOP");
  });

  it("rule 3 is checked before the window is full: a stopped group stays STOP as time passes", () => {
    let w = feed([[5, 10]]);
    expect(verdict(w, t0 + 1000)).toBe("OK");
    w = addSample(w, { at: t0 + windowMs + 500, committed: 5, high: 11, lag: 6 }, { size });
    expect(verdict(w, t0 + windowMs + 500)).toBe("STOP");
  });

  it("rule 3: not STOP before the monitor has watched the partition for a whole window", () => {
    const w = feed([
      [5, 10],
      [5, 10],
    ]);
    expect(verdict(w, t0 + windowMs)).toBe("OK");
  });

  it("a full window with an unmoving offset and no consumer activity is STOP", () => {
    const w = feed([
      [5, 10],
      [5, 10],
      [5, 11],
      [5, 12],
      [5, 12],
    ]);
    expect(verdict(w)).toBe("STOP");
  });

  it("rule 4: STALL when the consumer keeps starting batches but its offset does not move", () => {
    let w = feed([
      [5, 10],
      [5, 10],
      [5, 10],
      [5, 10],
      [5, 10],
    ]);
    w = noteActivity(w, lastAt(w) - 200);
    expect(verdict(w)).toBe("STALL");
    // ...and STOP once it has not been heard of for longer than the window.
    expect(verdict(w, lastAt(w) + windowMs)).toBe("STOP");
  });

  it("rule 4 needs activity inside the window: activity older than the window's first sample does not count", () => {
    let w = feed([
      [5, 10],
      [5, 10],
      [5, 10],
      [5, 10],
      [5, 10],
    ]);
    w = noteActivity(w, t0 - 100);
    expect(verdict(w)).toBe("STOP");
  });

  it("rule 5: WARNING when offsets move but the lag grows over the whole window", () => {
    const w = feed([
      [0, 10],
      [2, 14],
      [4, 18],
      [6, 22],
      [8, 26],
    ]);
    expect(verdict(w)).toBe("WARNING");
  });

  it("rule 5 is Burrow's: a lag that never decreases (steady, not only growing) is a WARNING", () => {
    const w = feed([
      [0, 10],
      [2, 12],
      [4, 14],
      [6, 16],
      [8, 18],
    ]);
    expect(verdict(w)).toBe("WARNING");
  });

  it("rule 5: OK as soon as the lag decreased once in the window", () => {
    const w = feed([
      [0, 10],
      [2, 14],
      [10, 16],
      [12, 20],
      [14, 26],
    ]);
    expect(verdict(w)).toBe("OK");
  });

  it("a partial window is not judged on its trend", () => {
    const w = feed([
      [0, 10],
      [2, 14],
      [4, 18],
    ]);
    expect(verdict(w)).toBe("OK");
  });

  it("a consumer catching up is OK, and OK again when the window slides past a bad stretch", () => {
    let w = feed([
      [0, 10],
      [2, 14],
      [4, 18],
      [6, 22],
      [8, 26],
    ]);
    expect(verdict(w)).toBe("WARNING");
    w = addSample(w, { at: t0 + 5000, committed: 20, high: 26, lag: 6 }, { size });
    expect(verdict(w)).toBe("OK");
  });

  it("STOP outranks STALL and STALL outranks WARNING, as in Burrow's order of checks", () => {
    // Offsets frozen, lag growing, consumer active: STALL (not WARNING).
    let w = feed([
      [5, 10],
      [5, 11],
      [5, 12],
      [5, 13],
      [5, 14],
    ]);
    w = noteActivity(w, lastAt(w));
    expect(verdict(w)).toBe("STALL");
    // The same, long after: STOP.
    expect(verdict(w, lastAt(w) + windowMs + 1)).toBe("STOP");
  });

  it("a commit inside the window keeps a slow consumer out of STOP", () => {
    const w = feed([
      [5, 100],
      [5, 100],
      [5, 101],
      [6, 102],
      [6, 102],
    ]);
    expect(verdict(w)).toBe("WARNING");
    expect(verdict(w, lastAt(w) + 1000)).toBe("WARNING");
    expect(verdict(w, t0 + 3 * interval + windowMs + 1)).toBe("STOP");
  });
});

describe("verdict values", () => {
  it("maps to the gauge's 0..3", () => {
    expect(["OK", "WARNING", "STALL", "STOP"].map((v) => verdictValue(v as Verdict))).toEqual([0, 1, 2, 3]);
  });

  it("a group takes its worst partition's verdict", () => {
    expect(worstVerdict([])).toBe("OK");
    expect(worstVerdict(["OK", "WARNING", "OK"])).toBe("WARNING");
    expect(worstVerdict(["STALL", "STOP", "WARNING"])).toBe("STOP");
  });
});
