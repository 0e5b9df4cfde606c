import type { RunCost } from "./cost.ts";
import type { LedgerResult } from "./ledger.ts";
import type { Slo } from "../scenarios/lib/slo.ts";
import type { ProbeMode } from "../scenarios/lib/probe.ts";

/** [epoch ms, value] */
export type Point = [number, number];

export interface NamedSeries {
  name: string;
  points: Point[];
}

export interface ThresholdResult {
  /** What is measured, in words ("HTTP p99 (writes)"). */
  name: string;
  /** The rule as written ("p(99)<=15", "<= 2 s"). */
  rule: string;
  limit: number;
  observed: number | null;
  unit: "ms" | "s" | "ratio" | "messages" | "events" | "/s";
  ok: boolean;
  /** Judged by the engine (k6, or the native recorder) or by the runner. */
  source: "k6" | "native" | "runner";
}

export interface KneeStep {
  rate: number;
  from: number;
  to: number;
  requests: number;
  achieved: number;
  errorRate: number;
  p50: number | null;
  p99: number | null;
  e2eP99: number | null;
  lagSeconds: number | null;
  lag: number;
  sustained: boolean;
  withinSlo: boolean;
  why: string[];
  /** The stack's CPU per accepted event in the step, ms, and the cores it used (absent in older reports). */
  cpuMsPerEvent?: number | null;
  stackCores?: number | null;
}

export interface Knee {
  /** Highest step rate within every SLO (the steps below it passed as well); 0 if the first failed. */
  rate: number;
  /** Highest step rate sustained (throughput kept, no errors, lag bounded), latency aside. */
  sustainedRate: number;
  /** Highest rate achieved in any step with errors within the SLO (whatever the latency). */
  peakRate: number;
  steps: KneeStep[];
  stoppedEarly: string | null;
  /** The SLOs each step was judged by. */
  slo: Slo;
}

export interface Report {
  version: 1;
  runId: string;
  scenario: string;
  params: Record<string, string | number>;
  /** Epoch ms: k6 setup (load starts), teardown (load stopped), drained (lag zero), end of the run. */
  times: { start: number; loadStart: number; loadEnd: number; drained: number | null; end: number };
  /** `k6` in reports written before there were two engines. */
  machine: { host: string; cpus: number; loadavg: number[]; node: string; k6?: string };
  /** Which engine drove the load, and what the generator cost (absent in older reports: k6). */
  engine?: {
    name: "k6" | "native";
    version: string;
    /** CPU seconds of the engine's processes (vegeta, or k6) and of the runner, over the run. */
    cpuSeconds: { engine: number; runner: number; total: number } | null;
    /** The generator's CPU (engine + runner) per write request, ms. */
    cpuMsPerRequest: number | null;
    files: string[];
  };
  passed: boolean;
  slo: Slo;
  thresholds: ThresholdResult[];
  http: {
    requests: number;
    accepted: number;
    unanswered: number;
    /** Requests (k6: iterations) the engine could not start on time: load the platform did not get. */
    dropped: number;
    /** Native engine: requests sent more than 10 ms after their slot (all workers busy). */
    late?: number | null;
    errorRate: number | null;
    rate: number | null;
    /** Mean of the writes' durations, ms (absent in reports written before it was recorded). */
    avg?: number | null;
    p50: number | null;
    p90: number | null;
    p95: number | null;
    p99: number | null;
    max: number | null;
  };
  e2e: {
    samples: number;
    timeouts: number;
    p50: number | null;
    p90: number | null;
    p95: number | null;
    p99: number | null;
    max: number | null;
    flowVisibleP99: number | null;
    /** How the probe read its events back: `wait` (readAfter, one read each) or `poll` (absent in older reports). */
    probeMode?: ProbeMode;
    /** The probe's reads of the read model in all (absent in older reports). */
    reads?: number;
  };
  lag: {
    source: string;
    maxLag: number;
    maxLagSeconds: number | null;
    drainSeconds: number | null;
    groups: {
      group: string;
      topic: string;
      maxLag: number;
      maxLagSeconds: number | null;
      verdicts: string[];
    }[];
  };
  ledger: LedgerResult | null;
  knee: Knee | null;
  /** What an event cost: the stack's CPU per part and per accepted event (absent in older reports). */
  cost?: RunCost | null;
  series: {
    /** Client latency percentiles per time window (k6, via Prometheus), ms. */
    latency: NamedSeries[];
    /** Server-side latency of the producer's route (platform histogram), ms. */
    serverLatency: NamedSeries[];
    /** Events per second: accepted by the producer (k6), stored, consumed by the projection. */
    throughput: NamedSeries[];
    lagMessages: NamedSeries[];
    lagSeconds: NamedSeries[];
    /** Probe samples: [accepted at, e2e ms]. */
    e2eSamples: Point[];
    /** Platform's per-stage end-to-end p99 (histogram), ms. */
    stageP99: NamedSeries[];
    cpu: NamedSeries[];
  };
  slowest: {
    eventId: string;
    traceId: string | null;
    e2eMs: number;
    at: number;
    httpMs: number;
    afterAckMs?: number;
  }[];
  links: { jaeger: string; prometheus: string };
  notes: string[];
  warnings: string[];
}

/** The suffix of a JVM part's JIT compiler share in the CPU series (`kafka JIT`, cpu.ts). */
export const JIT_SUFFIX = " JIT";
