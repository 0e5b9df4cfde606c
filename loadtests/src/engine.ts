/**
 * The two engines of a plan, as the runner sees them: k6 (the user's own binary, k6.ts) or the
 * native engine (vegeta and the undici flow driver, native/). Either gives the same things:
 * marks (load started, load stopped, ramp steps), the probe's samples, warnings, a summary in
 * k6's handleSummary shape (thresholds judged), and a way to stop early.
 */
import { execFileSync } from "node:child_process";
import type { SummaryMetric, WindowStats } from "./native/recorder.ts";
import type { Point } from "./model.ts";

export type EngineName = "k6" | "native";
export const engineNames: EngineName[] = ["k6", "native"];

export interface ProbeSample {
  eventId: string;
  traceId: string | null;
  acceptedAt: number;
  stampedAt?: number | null;
  visibleAt: number;
  e2eMs: number;
  afterAckMs?: number;
  httpMs: number;
  seen: boolean;
  /** Reads of the read model the probe made (one per probe in PROBE_MODE=wait, unless stale). */
  polls: number;
  /** The event store refused the event (404 EVENT_REJECTED); never seen. */
  rejected?: string;
  /** The projection refused the read (another 4xx); never seen. */
  refused?: string;
}

export interface RunMarks {
  setup?: number;
  teardown?: number;
  steps?: { rates: number[]; stepSeconds: number };
  spike?: { base: number; peak: number; spikeAt: number; spikeEnd: number };
}

export interface EngineRun {
  engine: EngineName;
  /** "k6 v1.8.1 (...)", "vegeta v12.13.0 + undici 7.x". */
  version: string;
  probes: ProbeSample[];
  marks: RunMarks;
  warnings: string[];
  /** Ends the load now (the ramp's brake). */
  stop(): void;
  done: Promise<{ exitCode: number }>;
  /** After `done`: the run's summary, k6's handleSummary shape (k6's own, or the native recorder's). */
  summary(): Promise<Record<string, SummaryMetric>>;
  /** Native only: latency and errors per time window, accepted per second (k6's come from Prometheus). */
  windows: Map<number, WindowStats> | null;
  accepted: Point[] | null;
  /** Native only: the generator's CPU seconds, counted exactly (vegeta's processes and the runner's). */
  cpuSeconds(): { engine: number; runner: number } | null;
  /** Files of the engine in the report's folder. */
  files: string[];
}

export interface EngineOptions {
  onMark?: (name: keyof RunMarks, marks: RunMarks) => void;
  /** CPU sampling of the generator's processes. */
  follow: (name: string, pid: number | undefined) => void;
  echo: boolean;
}

/** On the PATH, or not at all: the set-up never installs k6 (AGPL-3.0); K6_BIN names one elsewhere. */
export function k6OnPath(): string | null {
  const bin = process.env.K6_BIN ?? "k6";
  try {
    execFileSync(bin, ["version"], { stdio: "ignore", timeout: 5000 });
    return bin;
  } catch {
    return null;
  }
}

/** ENGINE=k6|native chooses; without it, k6 when the user has one, else the native engine. */
export function chooseEngine(asked: string | undefined = process.env.ENGINE): EngineName {
  if (asked === "k6" || asked === "native") return asked;
  if (asked !== undefined && asked !== "") throw new Error(`ENGINE must be k6 or native (got "${asked}")`);
  return k6OnPath() ? "k6" : "native";
}
