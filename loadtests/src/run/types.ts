/** What a run is asked (RunOptions) and what it answers (RunFigures): the harness's public types. */
import type { ScenarioName } from "../../scenarios/lib/model.ts";
import type { EngineName } from "../engine.ts";

export interface RunOptions {
  scenario: ScenarioName;
  /** Events (or flow iterations) per second; the scenario's default when absent. */
  rate?: number;
  /** A duration ("60s", "2m"); the scenario's default when absent. */
  duration?: string;
  /** The scenario's knobs (RAMP_START, SLO_HTTP_P99_MS, PROBE_RATE, ...), as k6's environment. */
  env?: Record<string, string>;
  /** k6 or native; default: ENGINE, else k6 when one is on the PATH, else native. */
  engine?: EngineName;
  /** Where reports go (default .eventscope/reports). */
  reportsRoot?: string;
  /** No progress lines and no table on stdout. */
  quiet?: boolean;
  /**
   * Before the measured run, the same load for this long ("10s"), not measured; none when absent
   * or "0s". Constant-rate scenarios only (not ramp or spike).
   */
  warmup?: string;
  /** Give up waiting for the lag to drain after this long (default 120 s). */
  drainTimeoutMs?: number;
  databaseUrl?: string;
  producerUrl?: string;
}

export interface RunFigures {
  runId: string;
  scenario: ScenarioName;
  engine: EngineName;
  passed: boolean;
  failed: string[];
  rate: number;
  duration: string;
  /** The warm-up before the measured run ("10s"), or null. */
  warmup: string | null;
  httpP50Ms: number | null;
  httpP95Ms: number | null;
  httpP99Ms: number | null;
  errorRate: number | null;
  achievedRate: number | null;
  e2eP50Ms: number | null;
  e2eP99Ms: number | null;
  maxLag: number;
  maxLagSeconds: number | null;
  drainSeconds: number | null;
  /** The stack's CPU per accepted event over the load and its drain, ms (null: not sampled), and per part. */
  stackCpuMsPerEvent: number | null;
  stackCpuMsPerEventByPart: Record<string, number>;
  /** Of those, a JVM part's JIT compiler per event (`kafka`), and whether one was still compiling (a cold start). */
  jitCpuMsPerEventByPart: Record<string, number>;
  compiling: boolean;
  /** Shares of the machine (0..1) busy, and taken by processes outside the stack and the generator. */
  machineBusyShare: number | null;
  otherShare: number | null;
  lost: number | null;
  duplicated: number | null;
  /** checkout only: the run's orders and how many did not reach a final state. */
  orders: number | null;
  ordersNotFinal: number | null;
  /** ramp only: the highest rate within every SLO, and the highest sustained regardless of latency. */
  knee: number | null;
  sustainedRate: number | null;
  /** ramp only: the highest rate achieved in a step without errors, latency aside. */
  peakRate: number | null;
  reportDir: string;
  reportHtml: string;
  reportJson: string;
}
