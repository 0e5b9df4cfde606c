// Retry timing: exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff
// and Jitter"): spreading retries uniformly below the bound keeps a recovering receiver from
// being hit by every failed delivery at the same instant.

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/** The upper bound of the wait after the given failed attempt (1-based): base·2^(n-1), capped. */
export const backoffBoundMs = (attempt: number, policy: RetryPolicy): number =>
  Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));

/** A wait drawn uniformly from [0, bound]. */
export const retryDelayMs = (attempt: number, policy: RetryPolicy, random: () => number = Math.random) =>
  Math.floor(random() * (backoffBoundMs(attempt, policy) + 1));

export type FailureOutcome = { status: "retrying"; delayMs: number } | { status: "dead" };

/** What a failed attempt leads to: another try later, or dead once the attempts are used up. */
export function afterFailure(
  attempts: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): FailureOutcome {
  if (attempts >= policy.maxAttempts) return { status: "dead" };
  return { status: "retrying", delayMs: retryDelayMs(attempts, policy, random) };
}
