/**
 * What the native engine makes of a plan's arrivals: vegeta's pacer keeps one constant rate per
 * attack, so each stage becomes attacks of constant rate. A stage that holds its rate is one
 * attack; a stage that moves between rates (k6's linear ramp) is one attack per second at the
 * rate of the middle of that second, which brings exactly the arrivals of the linear ramp.
 */
import type { Arrival } from "../../scenarios/lib/model.ts";

export interface Attack {
  /** Seconds from the start of the load. */
  at: number;
  seconds: number;
  /** Requests per second. */
  rate: number;
}

export function attacksOf(arrival: Arrival): Attack[] {
  const out: Attack[] = [];
  let from = arrival.startRate;
  let at = 0;
  for (const stage of arrival.stages) {
    if (stage.target === from || stage.seconds <= 1) {
      const rate = stage.target === from ? from : (from + stage.target) / 2;
      out.push({ at, seconds: stage.seconds, rate });
    } else {
      for (let i = 0; i < stage.seconds; i++) {
        const mid = (i + 0.5) / stage.seconds;
        out.push({ at: at + i, seconds: 1, rate: from + (stage.target - from) * mid });
      }
    }
    at += stage.seconds;
    from = stage.target;
  }
  return out.filter((a) => a.seconds > 0);
}

/** vegeta's -rate for a possibly fractional rate: hits per 100 s keeps two decimals. */
export const vegetaRate = (rate: number): string =>
  Number.isInteger(rate) ? `${rate}/1s` : `${Math.round(rate * 100)}/100s`;

/** Requests an attack is expected to send. */
export const expectedHits = (a: Attack): number => Math.round(a.rate * a.seconds);
