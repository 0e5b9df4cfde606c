/**
 * What an event cost: the stack's CPU over a window of the run, per part and per accepted event,
 * from the CPU sampler's series (cpu.ts: percent of one core per sample, each sample covering the
 * time since the one before). Pure: series in, figures out.
 *
 * The stack is every sampled part but the generator (k6, or vegeta and the runner), the machine
 * and "other": the services, Kafka, PostgreSQL, Prometheus, Jaeger, the SMTP sink and the
 * exporter. The headline is over the load and its drain: the consumers still work on the last
 * events after the last request, and that work is part of what those events cost. A sample that
 * straddles a window's edge counts for the share of it inside the window.
 */
import { JIT_SUFFIX, type Knee, type NamedSeries, type Point } from "./model.ts";

/** Sampled names that are not the stack. */
export const GENERATOR_PARTS = ["k6", "vegeta", "runner"] as const;
const NOT_STACK = new Set<string>(["machine", "other", ...GENERATOR_PARTS]);
/** A part's JIT share (`kafka JIT`) is within the part's own figure, never a part beside it. */
const isStackPart = (name: string) => !NOT_STACK.has(name) && !name.endsWith(JIT_SUFFIX);

/** The parts every native stack runs: one without a sample makes the total an understatement. */
export const STACK_PARTS = [
  "producer",
  "event-store",
  "projection",
  "notification",
  "kafka",
  "postgres",
  "prometheus",
  "jaeger",
  "smtp",
  "pg_exporter",
] as const;

/** A JVM whose JIT compiler took this share of its CPU or more was still compiling its hot code. */
export const COMPILING_SHARE = 0.2;

/** A JVM part's JIT compiler threads: their CPU, per event, and their share of the part's CPU. */
export interface JitCost {
  part: string;
  cpuSeconds: number;
  msPerEvent: number | null;
  share: number;
}

/** The JVM parts that were still compiling their hot code (a start shortly before the run). */
export const stillCompiling = (jit: JitCost[]): JitCost[] => jit.filter((j) => j.share >= COMPILING_SHARE);

/** Other processes above this share of the machine make a noisy box worth a note. */
export const NOISY_OTHER_SHARE = 0.1;
/** The machine busier than this share: the stack was starved of CPU. */
export const SATURATED_SHARE = 0.9;

export interface PartCost {
  name: string;
  cpuSeconds: number;
  /** CPU ms per accepted event; null when no event was accepted. */
  msPerEvent: number | null;
  /** Samples of the window this part has no value for (a restart, its pid file gone). */
  missingSamples: number;
}

export interface CostWindow {
  /** Epoch ms. */
  from: number;
  to: number;
  seconds: number;
  /** Accepted events the figures are per. */
  events: number;
  /** msPerEvent null when no event was accepted or no part of the stack was sampled. */
  stack: { cpuSeconds: number; msPerEvent: number | null; cores: number };
  /** The stack's parts, costliest first. */
  parts: PartCost[];
  /** Shares of the machine's capacity (cores x seconds), 0..1. */
  machine: { busy: number; stack: number; generator: number; other: number };
  /** CPU samples that fell inside the window (at least partly). */
  samples: number;
}

export interface RunCost {
  /** Accepted events (202): the denominator of every "per event". */
  events: number;
  /** The headline window: the load and the drain after it (to the last sample if not drained). */
  basis: "load+drain";
  /** First to last request. */
  load: CostWindow;
  loadAndDrain: CostWindow;
  drained: boolean;
  /**
   * The run's events the event store holds (the ledger), when known: more than were accepted when
   * requests that got no answer landed anyway; the stack paid for those too.
   */
  stored: number | null;
  /** The stack's CPU per stored event over the load and its drain, ms. */
  msPerStoredEvent: number | null;
  /** Messages appended to events.ingest over the load and its drain, by anyone, when sampled. */
  ingested: number | null;
  /** The probe's reads of the read model, served by the stack beside the events (one per probe by default). */
  probeReads: number | null;
  /** Parts of every stack with no sample at all in the window: the total lacks them. */
  missing: string[];
  /**
   * The JVM parts' JIT compiler threads over the load and its drain (within the part's figure):
   * their CPU, per event, and their share of the part's CPU.
   */
  jit: JitCost[];
  /** Notes for a reader: a noisy or saturated box, a part missing, samples lost to a restart. */
  notes: string[];
}

/**
 * When each sample began: the sampler pushes every name at the same instant, and the machine is
 * pushed at every sample, so its timestamps are the clock. The first sample's interval is taken
 * to be the usual one (the median), or 1 s.
 */
export function sampleClock(cpu: NamedSeries[]): { ticks: number[]; startOf: Map<number, number> } {
  const machine = cpu.find((s) => s.name === "machine")?.points;
  const ticks = machine?.length
    ? machine.map(([t]) => t)
    : [...new Set(cpu.flatMap((s) => s.points.map(([t]) => t)))];
  ticks.sort((a, b) => a - b);
  const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
  const usual = gaps.length ? [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]! : 1000;
  const startOf = new Map<number, number>();
  ticks.forEach((t, i) => startOf.set(t, i === 0 ? t - usual : ticks[i - 1]!));
  return { ticks, startOf };
}

type Clock = ReturnType<typeof sampleClock>;

/** The share of the sample ending at `t` that lies inside [from, to]. */
function overlap(clock: Clock, t: number, from: number, to: number): number {
  const start = clock.startOf.get(t) ?? t - 1000;
  const span = t - start;
  if (span <= 0) return 0;
  return Math.max(0, Math.min(t, to) - Math.max(start, from)) / span;
}

/** CPU seconds of one series over [from, to] (percent of a core times the sample's length). */
export function cpuSecondsIn(points: Point[], clock: Clock, from: number, to: number): number {
  let sum = 0;
  for (const [t, pct] of points) {
    const share = overlap(clock, t, from, to);
    if (share <= 0) continue;
    const start = clock.startOf.get(t) ?? t - 1000;
    sum += (pct / 100) * ((t - start) / 1000) * share;
  }
  return sum;
}

/** The stack's CPU over one window, per part, per event, and the machine's shares. */
export function costOver(
  cpu: NamedSeries[],
  window: { from: number; to: number },
  events: number,
  cores: number,
  clock: Clock = sampleClock(cpu),
): CostWindow {
  const { from, to } = window;
  const seconds = Math.max(0, (to - from) / 1000);
  const inWindow = clock.ticks.filter((t) => overlap(clock, t, from, to) > 0);
  const perEvent = (s: number) => (events > 0 ? (s * 1000) / events : null);
  const secondsOf = (name: string) =>
    cpuSecondsIn(cpu.find((s) => s.name === name)?.points ?? [], clock, from, to);

  const parts: PartCost[] = cpu
    .filter((s) => isStackPart(s.name))
    .map((s) => {
      const have = new Set(s.points.map(([t]) => t));
      const cpuSeconds = cpuSecondsIn(s.points, clock, from, to);
      return {
        name: s.name,
        cpuSeconds,
        msPerEvent: perEvent(cpuSeconds),
        missingSamples: inWindow.filter((t) => !have.has(t)).length,
      };
    })
    .filter((p) => p.cpuSeconds > 0 || p.missingSamples < inWindow.length)
    .sort((a, b) => b.cpuSeconds - a.cpuSeconds || a.name.localeCompare(b.name));
  const stackSeconds = parts.reduce((sum, p) => sum + p.cpuSeconds, 0);
  const capacity = Math.max(1e-9, cores * seconds);
  const generator = GENERATOR_PARTS.reduce((sum, name) => sum + secondsOf(name), 0);
  return {
    from,
    to,
    seconds,
    events,
    stack: {
      cpuSeconds: stackSeconds,
      msPerEvent: parts.length > 0 ? perEvent(stackSeconds) : null,
      cores: seconds > 0 ? stackSeconds / seconds : 0,
    },
    parts,
    machine: {
      busy: secondsOf("machine") / capacity,
      stack: stackSeconds / capacity,
      generator: generator / capacity,
      other: secondsOf("other") / capacity,
    },
    samples: inWindow.length,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

/** What the stack did in the run besides burning CPU: the counts its cost is set against. */
export interface RunCounts {
  /** Events accepted (202), the engine's count: the denominator. */
  accepted: number;
  /** The run's events in the event store (the ledger), when it was checked. */
  stored?: number | null;
  /** Messages appended to events.ingest over the window, by anyone (the lag sampler's offsets). */
  ingested?: number | null;
  /** Reads the probe made to see its events in the read model (one per probe, more when stale or polled). */
  probeReads?: number | null;
  /** The probe's events (each one read, or more when a read came back stale or the probe polled). */
  probes?: number | null;
}

/**
 * A run's cost: over the load, and over the load and its drain (the headline). `drained` null:
 * the consumers did not catch up, the window runs to the last sample and the note says so.
 */
export function runCost(
  cpu: NamedSeries[],
  times: { loadStart: number; loadEnd: number; drained: number | null },
  counts: RunCounts,
  cores: number,
): RunCost {
  const events = counts.accepted;
  const stored = counts.stored ?? null;
  const clock = sampleClock(cpu);
  const lastSample = clock.ticks.at(-1) ?? times.loadEnd;
  const drainEnd = times.drained ?? Math.max(times.loadEnd, lastSample);
  const load = costOver(cpu, { from: times.loadStart, to: times.loadEnd }, events, cores, clock);
  const loadAndDrain = costOver(
    cpu,
    { from: times.loadStart, to: Math.max(times.loadEnd, drainEnd) },
    events,
    cores,
    clock,
  );
  const sampled = new Set(loadAndDrain.parts.map((p) => p.name));
  const missing = STACK_PARTS.filter((name) => !sampled.has(name));
  const notes: string[] = [];
  const m = loadAndDrain.machine;
  if (loadAndDrain.samples === 0)
    notes.push("No CPU samples in the run's window (no /proc?): no cost figures.");
  else if (sampled.size === 0)
    notes.push("No process of the stack was sampled (not running natively?): the stack's cost is unknown.");
  else if (missing.length) notes.push(`Not sampled: ${missing.join(", ")}; the stack's total lacks them.`);
  const gaps = loadAndDrain.parts.filter((p) => p.missingSamples > 0);
  if (gaps.length)
    notes.push(
      `Samples missing (a restart, or a part not running for a while): ${gaps
        .map((p) => `${p.name} ${p.missingSamples} of ${loadAndDrain.samples}`)
        .join(", ")}; their CPU in those seconds counts as "other".`,
    );
  if (m.other >= NOISY_OTHER_SHARE)
    notes.push(
      `Other processes took ${pct(m.other)} of the machine (${(m.other * cores).toFixed(2)} of ${cores} cores): a shared box; the stack's figures were taken beside them.`,
    );
  if (m.busy >= SATURATED_SHARE)
    notes.push(
      `The machine was ${pct(m.busy)} busy: the stack was short of CPU, so latencies include waiting for it (and batches grow, which lowers the cost per event).`,
    );
  const jit: JitCost[] = cpu
    .filter((s) => s.name.endsWith(JIT_SUFFIX))
    .map((s) => {
      const part = s.name.slice(0, -JIT_SUFFIX.length);
      const cpuSeconds = cpuSecondsIn(s.points, clock, loadAndDrain.from, loadAndDrain.to);
      const of = loadAndDrain.parts.find((p) => p.name === part)?.cpuSeconds ?? 0;
      return {
        part,
        cpuSeconds,
        msPerEvent: events > 0 ? (cpuSeconds * 1000) / events : null,
        share: of > 0 ? Math.min(1, cpuSeconds / of) : 0,
      };
    })
    .filter((j) => j.cpuSeconds > 0);
  for (const j of stillCompiling(jit))
    notes.push(
      `${j.part}'s JIT compiler took ${pct(j.share)} of its CPU (${j.msPerEvent === null ? `${j.cpuSeconds.toFixed(1)} s` : `${j.msPerEvent.toFixed(2)} ms per event`}): the JVM was still compiling its hot code, as it does in its first minutes under load after a start, and the run's latencies and costs are those of a cold ${j.part}; a run on a warm one costs less.`,
    );
  const perStored =
    stored && loadAndDrain.stack.msPerEvent !== null ? (loadAndDrain.stack.cpuSeconds * 1000) / stored : null;
  if (stored !== null && perStored !== null && Math.abs(stored - events) > 0.05 * Math.max(1, events))
    notes.push(
      `The event store holds ${stored} events of the run against ${events} accepted (202): per stored event the stack's CPU is ${perStored.toFixed(2)} ms.`,
    );
  const ingested = counts.ingested ?? null;
  const ours = Math.max(events, stored ?? 0);
  if (ingested !== null && ingested > 1.1 * ours + 10)
    notes.push(
      `events.ingest took ${ingested} messages in the window against this run's ${ours}: other traffic (another run, the process manager's own events) shared the stack, and its CPU is in these figures; per ingested message the stack's CPU is ${((loadAndDrain.stack.cpuSeconds * 1000) / ingested).toFixed(2)} ms.`,
    );
  const reads = counts.probeReads ?? 0;
  const probes = counts.probes ?? 0;
  if (reads > 0 && events > 0)
    notes.push(
      `The stack also answered the probe's ${reads} reads of the read model (${(reads / events).toFixed(2)} per accepted event${probes ? `, ${(reads / probes).toFixed(2)} per probe` : ""}): part of its CPU served them, more so at low rates.`,
    );
  if (times.drained === null)
    notes.push(
      "The consumers did not drain: the window runs to the last CPU sample, the work left is not counted.",
    );
  return {
    events,
    basis: "load+drain",
    load,
    loadAndDrain,
    drained: times.drained !== null,
    stored,
    msPerStoredEvent: perStored,
    ingested,
    probeReads: counts.probeReads ?? null,
    missing,
    jit,
    notes,
  };
}

/**
 * A ramp's steps with the stack's CPU per accepted event of each (the requests answered without
 * error in the step). A step's consumers finish its last events in the next step's first moments,
 * and the next step's start is paid in this one: at a steady rate the two cancel out.
 */
export function withStepCost(knee: Knee, cpu: NamedSeries[], cores: number, loadEnd: number): Knee {
  const clock = sampleClock(cpu);
  return {
    ...knee,
    steps: knee.steps.map((s) => {
      const accepted = Math.round(s.requests * (1 - s.errorRate));
      const c = costOver(cpu, { from: s.from, to: Math.min(s.to, loadEnd) }, accepted, cores, clock);
      const sampled = c.samples > 0 && c.parts.length > 0;
      return { ...s, cpuMsPerEvent: c.stack.msPerEvent, stackCores: sampled ? c.stack.cores : null };
    }),
  };
}
