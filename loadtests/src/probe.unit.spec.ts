// The end-to-end probe: the read that follows its 202 (readAfter with waitMs, or the former
// poll), what each answer means, the sample it leaves, the notes and warnings of the report; and
// the native flow driver's probe against a stand-in producer and projection on loopback that
// answer as the real ones do (202 with readAfter; a read held, then 200, 503 READ_MODEL_STALE
// or 404 EVENT_REJECTED).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { planFor } from "../scenarios/lib/model.ts";
import {
  e2eNote,
  probeModeOf,
  probeOutcome,
  probePause,
  probeReadPath,
  probeResult,
  probeWarnings,
  PROBE_RETRY_MS,
} from "../scenarios/lib/probe.ts";
import { LoadMetrics } from "./native/metrics.ts";
import { FlowDriver } from "./native/driver.ts";
import { Recorder } from "./native/recorder.ts";
import { runNotes } from "./run/judge.ts";
import { e2eFigures } from "./run/report.ts";
import { probeReadsText } from "./summary.ts";

const id = "7d1e9c1a-7a8e-4e58-9d0e-2a7c3a51f0b4";
const stamp = "2026-12-01T12:00:00.000Z";
const listed = (eventId = id) => ({ userId: "u", count: 1, events: [{ eventId, timestamp: stamp }] });
const wait = { mode: "wait", waitMs: 2000, pollMs: 5 } as const;
const poll = { mode: "poll", waitMs: 2000, pollMs: 5 } as const;

describe("the probe's mode", () => {
  it("waits by default, polls when asked, and refuses anything else", () => {
    expect(probeModeOf(undefined)).toBe("wait");
    expect(probeModeOf("")).toBe("wait");
    expect(probeModeOf("poll")).toBe("poll");
    expect(() => probeModeOf("sleep")).toThrow(/PROBE_MODE must be wait or poll \(got "sleep"\)/);
    expect(planFor("load", {}).probe).toMatchObject({ mode: "wait", waitMs: 2000, timeoutMs: 10_000 });
    expect(planFor("ramp", { PROBE_MODE: "poll", PROBE_POLL_MS: "7" }).probe).toMatchObject({
      mode: "poll",
      pollMs: 7,
    });
    expect(planFor("smoke", { PROBE_WAIT_MS: "500" }).probe.waitMs).toBe(500);
  });
});

describe("the probe's read", () => {
  const readAfter = { afterEventId: id, path: `/api/events/user/u%201?afterEventId=${id}` };
  it("is the 202's readAfter with the wait, cut to the time left before the deadline", () => {
    expect(probeReadPath(wait, "u 1", id, readAfter, 10_000)).toBe(
      `/api/events/user/u%201?afterEventId=${id}&waitMs=2000`,
    );
    expect(probeReadPath(wait, "u 1", id, readAfter, 750.8)).toBe(
      `/api/events/user/u%201?afterEventId=${id}&waitMs=750`,
    );
    expect(probeReadPath(wait, "u 1", id, readAfter, -3)).toMatch(/&waitMs=0$/);
  });
  it("names the event on the user's route itself when the 202 gave no read route", () => {
    for (const given of [undefined, null, { afterEventId: id }, { path: "http://elsewhere/x" }])
      expect(probeReadPath(wait, "u/1", id, given, 10_000)).toBe(
        `/api/events/user/u%2F1?afterEventId=${id}&waitMs=2000`,
      );
  });
  it("is the user's activity alone when polling", () => {
    expect(probeReadPath(poll, "u 1", id, readAfter, 10_000)).toBe("/api/events/user/u%201");
  });
});

describe("an answer to the probe's read", () => {
  it("shows the event on a 200 that lists it, with the producer's stamp", () => {
    expect(probeOutcome("wait", 200, listed(), id)).toEqual({ kind: "seen", stampedAt: Date.parse(stamp) });
    const two = {
      events: [
        { eventId: "other", timestamp: stamp },
        { eventId: id, timestamp: "bad" },
      ],
    };
    expect(probeOutcome("wait", 200, two, id)).toEqual({ kind: "seen", stampedAt: null });
    expect(probeOutcome("wait", 200, listed("other"), id)).toEqual({ kind: "again" });
  });
  it("is asked again on READ_MODEL_STALE and on answers that settle nothing", () => {
    const stale = { status: 503, code: "READ_MODEL_STALE", store: "pending", waitedMs: 2001 };
    expect(probeOutcome("wait", 503, stale, id)).toEqual({ kind: "stale" });
    expect(probeOutcome("wait", 503, { status: 503, code: "UNAVAILABLE" }, id)).toEqual({ kind: "again" });
    expect(probeOutcome("wait", 0, null, id)).toEqual({ kind: "again" });
    expect(probeOutcome("wait", 429, { code: "RATE_LIMITED" }, id)).toEqual({ kind: "again" });
  });
  it("ends the probe on EVENT_REJECTED with the store's reason, and on a read refused", () => {
    const rejected = { status: 404, code: "EVENT_REJECTED", rejectionCode: "SCHEMA", reason: "bad data" };
    expect(probeOutcome("wait", 404, rejected, id)).toEqual({ kind: "rejected", reason: "SCHEMA: bad data" });
    expect(probeOutcome("wait", 404, { code: "EVENT_REJECTED" }, id)).toEqual({
      kind: "rejected",
      reason: "rejected by the event store",
    });
    expect(probeOutcome("wait", 400, { code: "VALIDATION", detail: "invalid waitMs" }, id)).toEqual({
      kind: "refused",
      reason: "400 VALIDATION: invalid waitMs",
    });
  });
  it("when polling, shows the event only as the user's first, and asks again on anything else", () => {
    expect(probeOutcome("poll", 200, listed(), id).kind).toBe("seen");
    expect(probeOutcome("poll", 200, { events: [] }, id).kind).toBe("again");
    expect(probeOutcome("poll", 404, { code: "EVENT_REJECTED" }, id).kind).toBe("again");
  });
  it("is followed at once after a wait that ran out, never in a tight loop, and every pollMs when polling", () => {
    expect(probePause(wait, 2003)).toBe(0);
    expect(probePause(wait, 4)).toBe(PROBE_RETRY_MS - 4);
    expect(probePause(poll, 2003)).toBe(5);
  });
});

describe("a probe's sample", () => {
  const base = { eventId: id, traceId: null, acceptedAt: 1000, httpMs: 3, timeoutMs: 10_000 };
  it("measures e2e from the producer's stamp, or from the 202 without one", () => {
    const seen = probeResult({
      ...base,
      visibleAt: 1090,
      reads: 1,
      outcome: { kind: "seen", stampedAt: 995 },
    });
    expect(seen).toMatchObject({ seen: true, e2eMs: 95, afterAckMs: 90, stampedAt: 995, polls: 1 });
    expect(seen).not.toHaveProperty("rejected");
    const unstamped = probeResult({
      ...base,
      visibleAt: 1090,
      reads: 2,
      outcome: { kind: "seen", stampedAt: null },
    });
    expect(unstamped).toMatchObject({ e2eMs: 90, afterAckMs: 90, polls: 2 });
  });
  it("counts a probe never seen, rejected or refused as its deadline", () => {
    const late = probeResult({ ...base, visibleAt: 11_000, reads: 5, outcome: { kind: "stale" } });
    expect(late).toMatchObject({ seen: false, e2eMs: 10_000, afterAckMs: 10_000, stampedAt: null });
    const rejected = probeResult({
      ...base,
      visibleAt: 1010,
      reads: 1,
      outcome: { kind: "rejected", reason: "R" },
    });
    expect(rejected).toMatchObject({ seen: false, e2eMs: 10_000, rejected: "R" });
    const refused = probeResult({
      ...base,
      visibleAt: 1010,
      reads: 1,
      outcome: { kind: "refused", reason: "400" },
    });
    expect(refused).toMatchObject({ seen: false, refused: "400" });
  });
  it("leaves warnings for the report, counted by reason", () => {
    expect(probeWarnings([{}, { rejected: "R" }, { rejected: "R" }, { refused: "400 VALIDATION" }])).toEqual([
      "probe: 2 events rejected by the event store (R): counted as never seen",
      "probe: 1 read refused by the projection (400 VALIDATION): counted as never seen",
    ]);
    expect(probeWarnings([{}, {}])).toEqual([]);
  });
});

describe("the report on the probe", () => {
  it("says what bounds e2e in either mode", () => {
    expect(e2eNote(wait)).toMatch(
      /readAfter with waitMs=2000 .*one read per probe.*notification after the consumer's commit/,
    );
    expect(e2eNote(wait)).toMatch(/no poll interval.*up to 200 ms/);
    expect(e2eNote({ ...poll, pollMs: 20 })).toMatch(/within one 20 ms poll interval .*PROBE_MODE=poll/);
    const notes = runNotes({
      lagSource: "lag-endpoint",
      ledgerError: null,
      stoppedEarly: null,
      knee: null,
      probe: poll,
    });
    expect(notes[1]).toBe(e2eNote(poll));
  });
  it("counts the probe's reads beside its samples", () => {
    const sample = (polls: number) => ({
      eventId: id,
      traceId: null,
      acceptedAt: 0,
      visibleAt: 1,
      e2eMs: 1,
      httpMs: 1,
      seen: true,
      polls,
    });
    const figures = e2eFigures([sample(1), sample(1), sample(3)], {}, "wait");
    expect(figures).toMatchObject({ samples: 3, reads: 5, probeMode: "wait" });
    expect(probeReadsText(figures)).toBe(", 5 reads");
    expect(probeReadsText({ ...figures, probeMode: "poll" })).toBe(", 5 reads polled");
    expect(probeReadsText({ ...figures, reads: undefined })).toBe("");
  });
});

/** The producer and the projection as the probe sees them, on loopback. */
type Answer = (n: number, path: string) => { status: number; body: unknown; holdMs?: number };

class StandIn {
  readonly reads: string[] = [];
  private servers: Server[] = [];
  private readonly answer: Answer;
  constructor(answer: Answer) {
    this.answer = answer;
  }

  private serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = createServer(handle);
    this.servers.push(server);
    return new Promise((done) =>
      server.listen(0, "127.0.0.1", () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
    );
  }

  async start(): Promise<{ producer: string; projection: string }> {
    const producer = await this.serve((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(202, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            eventId: id,
            readAfter: { afterEventId: id, path: `/api/events/user/p?afterEventId=${id}` },
          }),
        );
      });
    });
    const projection = await this.serve((req, res) => {
      this.reads.push(req.url ?? "");
      const a = this.answer(this.reads.length, req.url ?? "");
      setTimeout(() => {
        res.writeHead(a.status, { "content-type": "application/json" });
        res.end(JSON.stringify(a.body));
      }, a.holdMs ?? 0);
    });
    return { producer, projection };
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise((done) => s.close(done))));
  }
}

describe("the native flow driver's probe", () => {
  let standIn: StandIn | undefined;
  let driver: FlowDriver | undefined;
  afterEach(async () => {
    await driver?.close();
    await standIn?.stop();
  });

  async function probeOnce(env: Record<string, string>, answer: Answer) {
    standIn = new StandIn(answer);
    const urls = await standIn.start();
    const plan = planFor("load", { PRODUCER_URL: urls.producer, PROJECTION_URL: urls.projection, ...env });
    driver = new FlowDriver(plan, new Recorder(plan, new LoadMetrics({})));
    await driver.probe();
    return { sample: driver.probes[0]!, reads: standIn.reads };
  }

  it("reads once: the 202's readAfter, held until the event is applied", async () => {
    const now = new Date().toISOString();
    const { sample, reads } = await probeOnce({}, () => ({
      status: 200,
      holdMs: 40,
      body: { events: [{ eventId: id, timestamp: now }] },
    }));
    expect(reads).toEqual([`/api/events/user/p?afterEventId=${id}&waitMs=2000`]);
    expect(sample).toMatchObject({ seen: true, polls: 1, stampedAt: Date.parse(now) });
    expect(sample.afterAckMs!).toBeGreaterThanOrEqual(39);
    expect(sample.e2eMs).toBe(sample.visibleAt - Date.parse(now));
  });

  it("asks again after READ_MODEL_STALE, with what is left of its deadline", async () => {
    const { sample, reads } = await probeOnce({ PROBE_TIMEOUT_MS: "1500", PROBE_WAIT_MS: "1000" }, (n) =>
      n === 1
        ? { status: 503, holdMs: 1000, body: { code: "READ_MODEL_STALE", store: "pending" } }
        : { status: 200, body: listed() },
    );
    expect(reads).toHaveLength(2);
    expect(reads[0]).toMatch(/&waitMs=1000$/);
    const second = Number(/waitMs=(\d+)$/.exec(reads[1]!)![1]);
    expect(second).toBeLessThanOrEqual(500);
    expect(second).toBeGreaterThan(0);
    expect(sample).toMatchObject({ seen: true, polls: 2 });
  });

  it("ends at once on EVENT_REJECTED: one read, never seen, the reason kept", async () => {
    const { sample, reads } = await probeOnce({}, () => ({
      status: 404,
      body: { code: "EVENT_REJECTED", rejectionCode: "SCHEMA_INVALID", reason: "no userId" },
    }));
    expect(reads).toHaveLength(1);
    expect(sample).toMatchObject({
      seen: false,
      polls: 1,
      e2eMs: 10_000,
      rejected: "SCHEMA_INVALID: no userId",
    });
  });

  it("stops at its deadline when the answers never settle, without a tight loop", async () => {
    const { sample, reads } = await probeOnce({ PROBE_TIMEOUT_MS: "450" }, () => ({
      status: 503,
      body: { code: "UNAVAILABLE" },
    }));
    expect(reads.length).toBeGreaterThanOrEqual(2);
    expect(reads.length).toBeLessThanOrEqual(Math.ceil(450 / PROBE_RETRY_MS) + 1);
    expect(sample).toMatchObject({ seen: false, e2eMs: 450 });
  });

  it("polls the user's activity when PROBE_MODE=poll, until the event is listed", async () => {
    const { sample, reads } = await probeOnce({ PROBE_MODE: "poll" }, (n) => ({
      status: 200,
      body: n < 4 ? { events: [] } : listed(),
    }));
    expect(reads).toHaveLength(4);
    for (const r of reads) expect(r).toMatch(/^\/api\/events\/user\/load-[^?]+probe-1$/);
    expect(sample).toMatchObject({ seen: true, polls: 4 });
  });
});
