/**
 * The flows and the end-to-end probe, on undici: an open model (N flows started per second,
 * whatever the answers take; a flow that would pass the concurrency ceiling is dropped and
 * counted), each flow's steps in order with ids captured from the answers, then its final state
 * polled in the read model; the probe posts one event and reads it back (scenarios/lib/probe.ts).
 */
import { Pool } from "undici";
import {
  fill,
  flowSpecs,
  flowVars,
  isAwait,
  reached,
  type FlowName,
} from "../../scenarios/lib/flow-specs.ts";
import { arrivalSeconds, type Arrival, type ScenarioPlan } from "../../scenarios/lib/model.ts";
import {
  PROBE_POLL_NAME,
  PROBE_WAIT_NAME,
  probeOutcome,
  probePause,
  probeReadPath,
  probeResult,
  probeSettled,
  traceIdOf,
  type ProbeOutcome,
  type ReadAfter,
} from "../../scenarios/lib/probe.ts";
import type { ProbeSample } from "../engine.ts";
import type { Recorder } from "./recorder.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Answer {
  status: number;
  json: Record<string, unknown> | null;
  traceparent: string;
}

export class FlowDriver {
  private readonly plan: ScenarioPlan;
  private readonly recorder: Recorder;
  private readonly producer: Pool;
  private readonly projection: Pool;
  private inFlight = 0;
  private seq = 0;
  private stopped = false;
  readonly probes: ProbeSample[] = [];
  private readonly running = new Set<Promise<void>>();
  /** Why requests got no answer, counted (for the report's warnings). */
  readonly errors = new Map<string, number>();

  constructor(plan: ScenarioPlan, recorder: Recorder) {
    this.plan = plan;
    this.recorder = recorder;
    const opts = { connections: 64, headersTimeout: 10_000, bodyTimeout: 10_000, keepAliveTimeout: 10_000 };
    this.producer = new Pool(plan.producer, opts);
    this.projection = new Pool(plan.projection, opts);
  }

  /** One request; the answer's JSON when asked for. Never throws: no answer is status 0. */
  async send(
    scenario: string,
    kind: "write" | "read",
    method: string,
    path: string,
    name: string,
    body?: unknown,
  ): Promise<Answer> {
    const pool = kind === "write" ? this.producer : this.projection;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { "x-api-key": this.plan.apiKey };
    if (payload !== undefined) headers["content-type"] = "application/json";
    const at = Date.now();
    const t = performance.now();
    let status: number;
    let json: Record<string, unknown> | null = null;
    let traceparent = "";
    let bytesIn = 0;
    try {
      const res = await pool.request({ method: method, path, headers, body: payload ?? null });
      status = res.statusCode;
      traceparent = String(res.headers.traceparent ?? "");
      const text = await res.body.text();
      bytesIn = text.length;
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = null;
      }
    } catch (e) {
      status = 0;
      const why = `${kind} requests without an answer: ${e instanceof Error ? e.message : String(e)}`;
      this.errors.set(why, (this.errors.get(why) ?? 0) + 1);
    }
    const ms = performance.now() - t;
    this.recorder.record({ scenario, name, kind, status, ms, at, bytesIn, bytesOut: payload?.length ?? 0 });
    return { status, json, traceparent };
  }

  /** Polls a read-model document until `done`; the time it took and the document, or null after `timeoutMs`. */
  private async awaitReadModel(
    scenario: string,
    path: string,
    name: string,
    done: (doc: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<{ ms: number; doc: Record<string, unknown> } | null> {
    const since = Date.now();
    while (Date.now() - since < timeoutMs) {
      const r = await this.send(scenario, "read", "GET", path, name);
      if (r.status === 200 && r.json && done(r.json)) return { ms: Date.now() - since, doc: r.json };
      await sleep(20);
    }
    return null;
  }

  /**
   * One flow: its steps in order (stops at the first write not accepted, or a wait that timed
   * out), then its final state, each wait bounded by `awaitMs`.
   */
  async flow(name: FlowName, awaitMs = this.plan.probe.timeoutMs): Promise<boolean> {
    const spec = flowSpecs[name];
    const n = ++this.seq;
    const vars = flowVars(spec, this.plan.prefix, `${n}-${Math.random().toString(36).slice(2, 8)}`, n);
    for (const step of spec.steps) {
      if (isAwait(step)) {
        const seen = await this.awaitReadModel(
          name,
          fill(step.await.path, vars, true),
          step.await.name,
          (doc) => reached(step.await, doc),
          awaitMs,
        );
        if (seen === null) {
          this.recorder.flowEnded(name, null);
          return false;
        }
        for (const [v, field] of Object.entries(step.capture)) {
          const got = seen.doc[field];
          if (typeof got === "string" && got !== "") vars[v] = got;
        }
        continue;
      }
      const r = await this.send(
        name,
        "write",
        step.method,
        fill(step.path, vars, true),
        step.name,
        fill(step.body, vars),
      );
      if (r.status !== 202) {
        this.recorder.flowFailed(name);
        return false;
      }
      for (const [v, field] of Object.entries(step.capture ?? {})) {
        const got = r.json?.[field];
        if (typeof got === "string" && got !== "") vars[v] = got;
      }
    }
    const visible = await this.awaitReadModel(
      name,
      fill(spec.check.path, vars, true),
      spec.check.name,
      (doc) => reached(spec.check, doc),
      awaitMs,
    );
    let ok = visible !== null;
    for (const also of ok ? (spec.alsoCheck ?? []) : []) {
      const seen = await this.awaitReadModel(
        name,
        fill(also.path, vars, true),
        also.name,
        (doc) => reached(fill(also, vars), doc),
        awaitMs,
      );
      if (seen === null) ok = false;
    }
    this.recorder.flowEnded(name, ok ? visible!.ms : null);
    return ok;
  }

  /**
   * The probe: one event for a user of its own, then its reads (lib/probe.ts): by default one
   * read of the 202's `readAfter` that waits for the event (again on READ_MODEL_STALE, until the
   * deadline); with PROBE_MODE=poll, the user's activity every `pollMs` until it lists the event.
   * e2e from the producer's stamp.
   */
  async probe(): Promise<void> {
    const { probe } = this.plan;
    const userId = `${this.plan.prefix}probe-${++this.seq}`;
    const t = performance.now();
    const res = await this.send("probe", "write", "POST", "/api/events", "POST /api/events (probe)", {
      userId,
      eventType: "probe",
      metadata: { run: this.plan.runId },
    });
    const httpMs = performance.now() - t;
    if (res.status !== 202) return;
    const acceptedAt = Date.now();
    const eventId = typeof res.json?.eventId === "string" ? res.json.eventId : "";
    const readAfter = res.json?.readAfter as ReadAfter | undefined;
    const name = probe.mode === "wait" ? PROBE_WAIT_NAME : PROBE_POLL_NAME;
    let reads = 0;
    let outcome: ProbeOutcome = { kind: "again" };
    while (Date.now() - acceptedAt < probe.timeoutMs) {
      const left = probe.timeoutMs - (Date.now() - acceptedAt);
      const sentAt = Date.now();
      const r = await this.send(
        "probe",
        "read",
        "GET",
        probeReadPath(probe, userId, eventId, readAfter, left),
        name,
      );
      reads++;
      outcome = probeOutcome(probe.mode, r.status, r.json, eventId);
      if (probeSettled(outcome)) break;
      const pause = Math.min(
        probePause(probe, Date.now() - sentAt),
        probe.timeoutMs - (Date.now() - acceptedAt),
      );
      if (pause > 0) await sleep(pause);
    }
    const sample = probeResult({
      eventId,
      traceId: traceIdOf(res.traceparent),
      acceptedAt,
      visibleAt: Date.now(),
      httpMs,
      reads,
      outcome,
      timeoutMs: probe.timeoutMs,
    });
    this.recorder.probe(sample.e2eMs, sample.seen);
    this.probes.push(sample);
  }

  private start(scenario: string, job: () => Promise<unknown>): void {
    if (this.inFlight >= this.plan.maxInFlight) {
      this.recorder.droppedRequests(scenario, 1);
      return;
    }
    this.inFlight++;
    const p: Promise<void> = job()
      .then(() => undefined)
      .catch(() => undefined)
      .finally(() => {
        this.inFlight--;
        this.running.delete(p);
      });
    this.running.add(p);
  }

  /**
   * Starts jobs on an open model: by t seconds, as many as the arrival's integral says (checked
   * every 10 ms, so a slow answer never delays the next start).
   */
  async arrive(scenario: string, arrival: Arrival, t0: number, job: () => Promise<unknown>): Promise<void> {
    const total = arrivalSeconds(arrival);
    let started = 0;
    const due = (t: number): number => {
      let from = arrival.startRate;
      let at = 0;
      let n = 0;
      for (const s of arrival.stages) {
        const d = Math.min(s.seconds, Math.max(0, t - at));
        n += ((from + (from + ((s.target - from) * d) / s.seconds)) / 2) * d;
        at += s.seconds;
        from = s.target;
        if (t <= at) break;
      }
      return Math.floor(n + 1e-9);
    };
    for (;;) {
      const t = Math.min(total, (Date.now() - t0) / 1000);
      const n = due(t);
      while (started < n && !this.stopped) {
        started++;
        this.start(scenario, job);
      }
      if (t >= total || this.stopped) return;
      await sleep(10);
    }
  }

  once(scenario: string, job: () => Promise<unknown>): void {
    this.start(scenario, job);
  }

  stop(): void {
    this.stopped = true;
  }

  /** Waits for every started flow and probe to end (each is bounded by its timeouts). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  async close(): Promise<void> {
    await Promise.all([this.producer.close(), this.projection.close()]);
  }
}
