// The raw pipeline's figures from what a run measured: CPU per event of its parts, the count
// check (every accepted event stored once and applied once), and the rates.

/** The parts whose CPU is the raw pipeline's cost: its three processes, Kafka and PostgreSQL. */
export const RAW_PARTS = ["raw-ingest", "raw-store", "raw-read-model", "kafka", "postgres"] as const;

/**
 * CPU time per accepted event, ms: the mean CPU of each part over the window (percent of one
 * core, as cpuByPart gives it) times the window's length, over the events accepted in it.
 */
export function cpuMsPerEvent(
  cpu: Record<string, number>,
  parts: readonly string[],
  windowMs: number,
  accepted: number,
): number {
  if (!(accepted > 0) || !(windowMs > 0)) return Number.NaN;
  const share = parts.reduce((a, p) => a + (cpu[p] ?? 0), 0) / 100;
  return (share * windowMs) / accepted;
}

/** The same, part by part (rounded to 3 decimals). */
export function cpuMsPerEventByPart(
  cpu: Record<string, number>,
  parts: readonly string[],
  windowMs: number,
  accepted: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) {
    const v = cpuMsPerEvent(cpu, [p], windowMs, accepted);
    if (Number.isFinite(v)) out[p] = Math.round(v * 1000) / 1000;
  }
  return out;
}

export interface Counts {
  /** 202 answers. */
  accepted: number;
  /** No answer (timeout, connection error): may or may not be stored. */
  unanswered: number;
  /** raw_events rows of the run, and their distinct event ids. */
  stored: number;
  storedDistinct: number;
  /** raw_activity rows of the run, and the sum of their `applied`. */
  projected: number;
  applied: number;
}

export interface Ledger {
  /** Accepted but not stored, or not in the read model (the larger of the two). */
  lost: number;
  /** Rows beyond one per event id in raw_events, plus applications beyond one in the read model. */
  duplicated: number;
  /** Stored events beyond those accepted: unanswered requests whose event got through. */
  unansweredStored: number;
  /** Every accepted event stored once and applied once (stored = read model = accepted, up to the unanswered). */
  ok: boolean;
}

export function ledgerOf(c: Counts): Ledger {
  const lost = Math.max(0, c.accepted - c.storedDistinct, c.accepted - c.projected);
  const duplicated = c.stored - c.storedDistinct + (c.applied - c.projected);
  const unansweredStored = Math.max(0, c.storedDistinct - c.accepted);
  const ok =
    lost === 0 && duplicated === 0 && unansweredStored <= c.unanswered && c.projected === c.storedDistinct;
  return { lost, duplicated, unansweredStored, ok };
}

/** Accepted per second of load. */
export function achievedRate(accepted: number, loadStart: number, loadEnd: number): number {
  return loadEnd > loadStart ? accepted / ((loadEnd - loadStart) / 1000) : Number.NaN;
}

/** The first lag sample at zero in every group at or after `from` (epoch ms), or null. */
export function firstDrained(samples: readonly { t: number; lag: number }[], from: number): number | null {
  return samples.find((s) => s.t >= from && s.lag === 0)?.t ?? null;
}
