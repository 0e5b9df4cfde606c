/**
 * Everything the native engine measures, request by request: the write latencies (all of them:
 * percentiles are exact), errors, accepted and unanswered writes, latency per time window (the
 * ramp's steps, the latency chart), accepted per second, the probe's and the flows' figures,
 * dropped and late requests. At the end it gives the same summary k6's handleSummary writes
 * (same metric names and statistics, thresholds judged from the plan), so the runner reads
 * either engine's summary the same way.
 */
import { ruleText, type ScenarioPlan } from "../../scenarios/lib/model.ts";
import { percentile, max as maxOf } from "../stats.ts";
import type { LoadMetrics } from "./metrics.ts";

export interface Outcome {
  /** The scenario (k6's name for it): load, activity, order, probe, ... */
  scenario: string;
  name: string;
  kind: "write" | "read";
  /** 0 when no answer came (timeout, connection error). */
  status: number;
  ms: number;
  /** Epoch ms when the request was sent. */
  at: number;
  bytesIn: number;
  bytesOut: number;
}

export interface SummaryMetric {
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface WindowStats {
  count: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** A growable array of doubles (a long soak keeps a million latencies). */
class Values {
  private buf = new Float64Array(4096);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  all(): number[] {
    return Array.from(this.buf.subarray(0, this.length));
  }
}

const failed = (status: number) => status < 200 || status >= 400;

export class Recorder {
  t0 = 0;
  private readonly plan: ScenarioPlan;
  private readonly metrics: LoadMetrics;
  private readonly writeMs = new Values();
  private writeFailed = 0;
  private accepted = 0;
  private unanswered = 0;
  private readonly windows = new Map<number, { ms: Values; errors: number }>();
  readonly acceptedPerSecond = new Map<number, number>();
  private readonly e2eMs = new Values();
  private e2eTimeouts = 0;
  private readonly flowVisible = new Values();
  private flowFailures = 0;
  private dropped = 0;
  private late = 0;

  constructor(plan: ScenarioPlan, metrics: LoadMetrics) {
    this.plan = plan;
    this.metrics = metrics;
  }

  record(o: Outcome): void {
    const labels = { scenario: o.scenario, kind: o.kind };
    this.metrics.inc("loadgen_http_requests_total", { ...labels, name: o.name, status: String(o.status) });
    this.metrics.observe("loadgen_http_request_duration_seconds", labels, o.ms / 1000);
    if (failed(o.status)) this.metrics.inc("loadgen_http_request_errors_total", labels);
    this.metrics.inc("loadgen_data_sent_bytes_total", { scenario: o.scenario }, o.bytesOut);
    this.metrics.inc("loadgen_data_received_bytes_total", { scenario: o.scenario }, o.bytesIn);
    if (o.kind !== "write") return;
    this.writeMs.push(o.ms);
    if (failed(o.status)) this.writeFailed++;
    // No answer, or the producer's 504 "in doubt": the event may or may not be stored.
    if (o.status === 0 || o.status === 504) this.unanswered++;
    if (o.status === 202) {
      this.accepted++;
      this.metrics.inc("loadgen_events_accepted_total", { scenario: o.scenario });
      const sec = Math.floor((o.at + o.ms) / 1000);
      this.acceptedPerSecond.set(sec, (this.acceptedPerSecond.get(sec) ?? 0) + 1);
    }
    const win = Math.max(0, Math.floor((o.at - this.t0) / (this.plan.windowSeconds * 1000)));
    let w = this.windows.get(win);
    if (!w) {
      w = { ms: new Values(), errors: 0 };
      this.windows.set(win, w);
    }
    w.ms.push(o.ms);
    if (failed(o.status)) w.errors++;
  }

  probe(e2eMs: number, seen: boolean): void {
    this.e2eMs.push(e2eMs);
    this.metrics.observe("loadgen_e2e_latency_seconds", { scenario: "probe" }, e2eMs / 1000);
    if (!seen) this.e2eTimeouts++;
  }

  flowEnded(scenario: string, visibleMs: number | null): void {
    if (visibleMs === null) {
      this.flowFailures++;
      this.metrics.inc("loadgen_flow_failures_total", { scenario });
      this.flowVisible.push(this.plan.probe.timeoutMs);
    } else {
      this.flowVisible.push(visibleMs);
    }
  }

  flowFailed(scenario: string): void {
    this.flowFailures++;
    this.metrics.inc("loadgen_flow_failures_total", { scenario });
  }

  droppedRequests(scenario: string, n: number): void {
    if (n <= 0) return;
    this.dropped += n;
    this.metrics.inc("loadgen_dropped_requests_total", { scenario }, n);
  }

  lateRequests(scenario: string, n: number): void {
    if (n <= 0) return;
    this.late += n;
    this.metrics.inc("loadgen_late_requests_total", { scenario }, n);
  }

  windowStats(): Map<number, WindowStats> {
    const out = new Map<number, WindowStats>();
    for (const [win, w] of this.windows) {
      const v = w.ms.all();
      out.set(win, {
        count: v.length,
        errors: w.errors,
        p50: percentile(v, 50),
        p95: percentile(v, 95),
        p99: percentile(v, 99),
        max: maxOf(v),
      });
    }
    return out;
  }

  /** The summary k6 would write: the same metric names, statistics and threshold results. */
  summary(): Record<string, SummaryMetric> {
    const trend = (values: Values): Record<string, number> => {
      const v = values.all();
      if (v.length === 0) return { count: 0 };
      const sum = v.reduce((a, b) => a + b, 0);
      return {
        avg: sum / v.length,
        min: v.reduce((a, b) => (b < a ? b : a), Infinity),
        med: percentile(v, 50)!,
        "p(90)": percentile(v, 90)!,
        "p(95)": percentile(v, 95)!,
        "p(99)": percentile(v, 99)!,
        max: maxOf(v)!,
        count: v.length,
      };
    };
    const writes = this.writeMs.length;
    const metrics: Record<string, SummaryMetric> = {
      "http_req_duration{kind:write}": { values: trend(this.writeMs) },
      "http_req_failed{kind:write}": {
        values: {
          rate: writes ? this.writeFailed / writes : 0,
          passes: this.writeFailed,
          fails: writes - this.writeFailed,
        },
      },
      "http_reqs{kind:write}": { values: { count: writes } },
      events_accepted: { values: { count: this.accepted } },
      writes_unanswered: { values: { count: this.unanswered } },
      dropped_iterations: { values: { count: this.dropped } },
      late_requests: { values: { count: this.late } },
      e2e_latency: { values: trend(this.e2eMs) },
      e2e_timeouts: { values: { count: this.e2eTimeouts } },
      flow_visible: { values: trend(this.flowVisible) },
      flow_failures: { values: { count: this.flowFailures } },
    };
    for (const t of this.plan.thresholds) {
      const m = (metrics[t.metric] ??= { values: {} });
      const observed = m.values[t.stat] ?? (t.stat === "count" ? 0 : undefined);
      // As k6: a trend with no samples holds its threshold.
      const ok = observed === undefined || (t.op === "<=" ? observed <= t.limit : observed === t.limit);
      (m.thresholds ??= {})[ruleText(t)] = { ok };
    }
    return metrics;
  }
}
