/**
 * A ramp's judgement: each step's achieved rate, errors, latency and lag against the SLOs, the
 * knee (the highest step within every SLO before the first that was not), the highest sustained
 * step and the peak error-free rate.
 */
import type { Slo } from "../../scenarios/lib/slo.ts";
import type { ProbeSample } from "../engine.ts";
import type { LagSample } from "../lag.ts";
import type { Knee, KneeStep } from "../model.ts";
import type { WindowStats } from "../native/recorder.ts";
import type { Prometheus } from "../prometheus.ts";
import { max as maxOf, percentile } from "../stats.ts";

/** The step rates of a ramp and whether each was sustained within the SLOs. */
export async function judgeRamp(
  prom: Prometheus | null,
  windows: Map<number, WindowStats> | null,
  runId: string,
  steps: { rates: number[]; stepSeconds: number },
  t0: number,
  loadEnd: number,
  probes: ProbeSample[],
  lag: LagSample[],
  slo: Slo,
  stoppedEarly: string | null,
): Promise<Knee> {
  const byWin = new Map<number, { count: number; errors: number; p50: number | null; p99: number | null }>();
  if (windows) {
    for (const [w, x] of windows) byWin.set(w, { count: x.count, errors: x.errors, p50: x.p50, p99: x.p99 });
  } else if (prom) {
    const span = `${Math.ceil((Date.now() - t0) / 1000) + 60}s`;
    const sel = `testid="${runId}",scenario="ramp"`;
    const [p50, p99, reqs] = await Promise.all([
      prom.instant(`last_over_time(k6_write_duration_p50{${sel}}[${span}])`, Date.now()),
      prom.instant(`last_over_time(k6_write_duration_p99{${sel}}[${span}])`, Date.now()),
      prom.instant(
        `sum by (win, status) (last_over_time(k6_http_reqs_total{${sel},kind="write"}[${span}]))`,
        Date.now(),
      ),
    ]);
    const at = (w: string) => {
      const k = Number(w);
      let e = byWin.get(k);
      if (!e) {
        e = { count: 0, errors: 0, p50: null, p99: null };
        byWin.set(k, e);
      }
      return e;
    };
    for (const r of p50) at(r.labels.win ?? "-1").p50 = r.value * 1000;
    for (const r of p99) at(r.labels.win ?? "-1").p99 = r.value * 1000;
    for (const r of reqs) {
      const e = at(r.labels.win ?? "-1");
      e.count += r.value;
      if (!/^2\d\d$/.test(r.labels.status ?? "")) e.errors += r.value;
    }
  }
  const result: KneeStep[] = [];
  let knee = 0;
  let sustainedRate = 0;
  let broken = false;
  let sustainedBroken = false;
  steps.rates.forEach((rate, i) => {
    const from = t0 + i * steps.stepSeconds * 1000;
    const to = from + steps.stepSeconds * 1000;
    if (from >= loadEnd) return;
    const w = byWin.get(i) ?? { count: 0, errors: 0, p50: null, p99: null };
    const prev = i === 0 ? rate : steps.rates[i - 1]!;
    const span = (Math.min(to, loadEnd) - from) / 1000;
    const expected = Math.max(1, (prev + rate) / 2 + rate * Math.max(0, span - 1));
    const achieved = w.count / Math.max(1, span);
    const errorRate = w.count > 0 ? w.errors / w.count : 0;
    const e2e = probes.filter((p) => p.acceptedAt >= from && p.acceptedAt < to).map((p) => p.e2eMs);
    const e2eP99 = e2e.length >= 5 ? percentile(e2e, 99) : null;
    // Lag over the second half of the step: bounded means the platform keeps up with the rate.
    const tail = lag.filter((s) => s.t >= from + (to - from) / 2 && s.t <= to);
    const lagMsgs = maxOf(tail.map((s) => Math.max(...s.groups.map((g) => g.lag)))) ?? 0;
    const lagSecs = maxOf(tail.flatMap((s) => s.groups.map((g) => g.lagSeconds ?? 0)));
    const why: string[] = [];
    const kept = w.count >= 0.95 * expected;
    if (!kept) why.push(`achieved ${achieved.toFixed(0)}/s of ${rate}/s`);
    if (errorRate > slo.SLO_ERROR_RATE) why.push(`errors ${(errorRate * 100).toFixed(2)}%`);
    const lagOk =
      (lagSecs ?? 0) <= slo.SLO_MAX_LAG_SECONDS && lagMsgs <= Math.max(slo.SLO_MAX_LAG_MESSAGES, rate);
    if (!lagOk) why.push(`lag ${lagMsgs} msgs / ${(lagSecs ?? 0).toFixed(1)} s`);
    const sustained = kept && errorRate <= slo.SLO_ERROR_RATE && lagOk;
    const latencyOk = w.p99 !== null && w.p99 <= slo.SLO_HTTP_P99_MS;
    if (!latencyOk) why.push(`HTTP p99 ${w.p99 === null ? "-" : w.p99.toFixed(1)} ms`);
    const e2eOk = e2eP99 === null || e2eP99 <= slo.SLO_E2E_P99_MS;
    if (!e2eOk) why.push(`e2e p99 ${e2eP99} ms`);
    const withinSlo = sustained && latencyOk && e2eOk;
    if (withinSlo && !broken) knee = rate;
    if (!withinSlo) broken = true;
    if (sustained && !sustainedBroken) sustainedRate = rate;
    if (!sustained) sustainedBroken = true;
    result.push({
      rate,
      from,
      to,
      requests: w.count,
      achieved,
      errorRate,
      p50: w.p50,
      p99: w.p99,
      e2eP99,
      lagSeconds: lagSecs,
      lag: lagMsgs,
      sustained,
      withinSlo,
      why,
    });
  });
  const peakRate = Math.max(
    0,
    ...result.filter((r) => r.errorRate <= slo.SLO_ERROR_RATE).map((r) => r.achieved),
  );
  return { rate: knee, sustainedRate, peakRate, steps: result, stoppedEarly, slo };
}
