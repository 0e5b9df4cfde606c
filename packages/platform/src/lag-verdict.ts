/**
 * Consumer-lag verdicts, evaluated over a sliding window of samples the way LinkedIn's Burrow
 * evaluates a group (core/internal/evaluator/caching.go, "Consumer Lag Evaluation Rules"):
 *
 *  1. lag zero at any sample of the window (or now)  -> OK, nothing else is checked
 *  2. the committed offset went back (a rewind)       -> the window restarts after it (Burrow
 *     reports REWIND; a deliberate reset is not one of our four verdicts)
 *  3. no commit for longer than the window            -> STOP
 *  4. the consumer works on the partition but its committed offset does not move -> STALL
 *  5. offsets move but the lag never decreases from one sample to the next -> WARNING
 *  otherwise OK.
 *
 * Burrow's window holds the consumer's commits. kafkajs does not recommit an unchanged offset,
 * so here the window holds samples taken at a fixed interval, and "a commit" (rule 3) is either
 * an advance of the committed offset between two samples or the consumer reporting that it
 * started a batch on the partition: a consumer that keeps starting (and failing) the same batch
 * is alive but stuck (STALL); one that neither commits nor starts batches has stopped (STOP).
 * Pure: everything here is a function of its arguments, so it is unit-tested without Kafka.
 */

export const verdicts = ["OK", "WARNING", "STALL", "STOP"] as const;
export type Verdict = (typeof verdicts)[number];

/** The gauge value of a verdict: 0 OK, 1 WARNING, 2 STALL, 3 STOP. */
export const verdictValue = (verdict: Verdict): number => verdicts.indexOf(verdict);

export const worstVerdict = (list: Iterable<Verdict>): Verdict => {
  let worst = 0;
  for (const v of list) worst = Math.max(worst, verdictValue(v));
  return verdicts[worst]!;
};

export interface LagSample {
  /** Epoch ms of the sample. */
  at: number;
  /** The group's committed offset (the next offset it will consume); -1 when none yet. */
  committed: number;
  /** The partition's high watermark (the offset the next message will get). */
  high: number;
  /** Messages not yet consumed: high minus the committed offset (or the log start). */
  lag: number;
}

export interface PartitionWindow {
  /** Oldest first; at most `size` samples. */
  samples: LagSample[];
  /** When the window began to be watched (the monitor's first sample of it). */
  since: number;
  /** The last time a commit was seen: the committed offset advanced between two samples. */
  lastCommitAt: number;
  /** The last time the consumer reported it started a batch on this partition. */
  lastActivityAt: number | undefined;
  /** The last rewind seen (the window restarted then). */
  lastRewindAt: number | undefined;
}

export interface WindowOptions {
  /** Samples kept per partition (Burrow's `intervals`, default 10 there too). */
  size: number;
}

export const emptyWindow = (now: number): PartitionWindow => ({
  samples: [],
  since: now,
  lastCommitAt: now,
  lastActivityAt: undefined,
  lastRewindAt: undefined,
});

/** The window after one more sample: slides, notes commits, restarts on a rewind. */
export function addSample(
  window: PartitionWindow,
  sample: LagSample,
  options: WindowOptions,
): PartitionWindow {
  const previous = window.samples.at(-1);
  if (previous && sample.committed < previous.committed) {
    return {
      ...window,
      samples: [sample],
      since: sample.at,
      lastCommitAt: sample.at,
      lastRewindAt: sample.at,
    };
  }
  const advanced = previous !== undefined && sample.committed > previous.committed;
  const samples = [...window.samples, sample];
  while (samples.length > Math.max(1, options.size)) samples.shift();
  return { ...window, samples, lastCommitAt: advanced ? sample.at : window.lastCommitAt };
}

/** The consumer started a batch on the partition (it is alive and working on it). */
export const noteActivity = (window: PartitionWindow, at: number): PartitionWindow => ({
  ...window,
  lastActivityAt: Math.max(at, window.lastActivityAt ?? at),
});

export interface EvaluateOptions {
  now: number;
  /** Samples a full window holds. */
  size: number;
  /** The window's length in ms (size x sampling interval): STOP after this long without a commit. */
  windowMs: number;
}

export function evaluatePartition(window: PartitionWindow, options: EvaluateOptions): Verdict {
  const { samples } = window;
  const current = samples.at(-1);
  // Rule 1: lag zero now or anywhere in the window.
  if (!current || current.lag === 0 || samples.some((s) => s.lag === 0)) return "OK";
  const { now, windowMs } = options;
  const lastCommit = Math.max(window.lastCommitAt, window.lastActivityAt ?? -Infinity);
  // Rule 3: nothing committed (and no batch started) for longer than the window.
  if (now - window.since > windowMs && now - lastCommit > windowMs) return "STOP";
  // Evaluated only over a full window, as a partial one says nothing about a trend.
  if (samples.length < options.size) return "OK";
  const first = samples[0]!;
  // Rule 4: committed offset did not move over the whole window while the consumer works.
  if (samples.every((s) => s.committed === first.committed)) {
    return (window.lastActivityAt ?? -Infinity) >= first.at ? "STALL" : "STOP";
  }
  // Rule 5: the lag did not decrease anywhere in the window.
  for (let i = 1; i < samples.length; i++) if (samples[i]!.lag < samples[i - 1]!.lag) return "OK";
  return "WARNING";
}
