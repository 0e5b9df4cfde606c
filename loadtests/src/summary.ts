import type { CostWindow, RunCost } from "./cost.ts";
import type { Report, ThresholdResult } from "./model.ts";
import { fmtMs, fmtNum, fmtPct } from "./stats.ts";

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const green = (s: string) => paint("32", s);
const red = (s: string) => paint("31", s);
const bold = (s: string) => paint("1", s);
const dim = (s: string) => paint("2", s);

/** How far past its limit a threshold is ("+12.3 ms, 1.8x"). */
export function overBy(t: ThresholdResult): string {
  if (t.ok || t.observed === null) return "";
  const d = t.observed - t.limit;
  const ratio = t.limit > 0 ? `, ${(t.observed / t.limit).toFixed(1)}x` : "";
  if (t.unit === "ms") return `+${fmtMs(d)}${ratio}`;
  if (t.unit === "s")
    return `+${d < 0.1 ? `${Math.max(1, Math.round(d * 1000))} ms` : `${d.toFixed(2)} s`}${ratio}`;
  if (t.unit === "ratio") return `+${fmtPct(d)}`;
  if (t.unit === "/s")
    return `-${fmtNum(-d)}/s, ${((t.observed / Math.max(1e-9, t.limit)) * 100).toFixed(0)}% of it`;
  return `+${fmtNum(d)}`;
}

export function fmtValue(v: number | null, unit: ThresholdResult["unit"]): string {
  if (v === null) return "-";
  if (unit === "ms") return fmtMs(v);
  if (unit === "s") return `${v.toFixed(v < 10 ? 3 : 1)} s`;
  if (unit === "ratio") return fmtPct(v);
  if (unit === "/s") return `${fmtNum(v)}/s`;
  return fmtNum(v);
}

function find(r: Report, pred: (t: ThresholdResult) => boolean) {
  return r.thresholds.find(pred);
}

/** The end-of-run table: every figure next to its SLO, then the ledger and the verdict. */
export function summaryTable(r: Report): string {
  const rows: [string, string, string, string][] = [];
  const detail: string[] = [];
  const verdict = (t: ThresholdResult | undefined) =>
    t === undefined ? "" : t.ok ? green("ok") : red(`FAIL ${overBy(t)}`);
  const rule = (t: ThresholdResult | undefined, fmt: (v: number) => string) =>
    t === undefined ? "" : `<= ${fmt(t.limit)}`;
  const th = (frag: string) => find(r, (t) => t.rule.includes(frag));

  const p95 = th("http_req_duration{kind:write} p(95)");
  const p99 = th("http_req_duration{kind:write} p(99)");
  const err = th("http_req_failed");
  const e2e = th("e2e_latency");
  const lagMsgs = find(r, (t) => t.name === "Max consumer lag");
  const lagSecs = find(r, (t) => t.name === "Max consumer lag (age)");
  const drain = find(r, (t) => t.name === "Drain time");

  rows.push(["HTTP average (writes)", fmtMs(r.http.avg), "", ""]);
  rows.push(["HTTP p50", fmtMs(r.http.p50), "", ""]);
  rows.push(["HTTP p95", fmtMs(r.http.p95), rule(p95, fmtMs), verdict(p95)]);
  rows.push(["HTTP p99", fmtMs(r.http.p99), rule(p99, fmtMs), verdict(p99)]);
  rows.push(["HTTP max", fmtMs(r.http.max), "", ""]);
  rows.push([
    "HTTP errors",
    `${fmtPct(r.http.errorRate)} of ${fmtNum(r.http.requests)}`,
    rule(err, (v) => fmtPct(v)),
    verdict(err),
  ]);
  const offered = find(r, (t) => t.name === "Offered rate");
  rows.push([
    "accepted (202)",
    `${fmtNum(r.http.accepted)}  (${fmtNum(r.http.rate, 0)}/s${r.http.dropped ? `, ${fmtNum(r.http.dropped)} dropped by ${r.engine?.name ?? "k6"}` : ""}${r.http.late ? `, ${fmtNum(r.http.late)} late` : ""})`,
    offered ? `>= ${fmtNum(offered.limit)}/s` : "",
    verdict(offered),
  ]);
  rows.push([
    "e2e p50 (probe)",
    `${fmtMs(r.e2e.p50)}  (${r.e2e.samples} samples${probeReadsText(r.e2e)})`,
    "",
    "",
  ]);
  rows.push(["e2e p99", fmtMs(r.e2e.p99), rule(e2e, fmtMs), verdict(e2e)]);
  rows.push(["max lag", `${fmtNum(r.lag.maxLag)} msgs`, rule(lagMsgs, (v) => fmtNum(v)), verdict(lagMsgs)]);
  rows.push([
    "max lag (age)",
    r.lag.maxLagSeconds === null ? "-" : `${r.lag.maxLagSeconds.toFixed(3)} s`,
    rule(lagSecs, (v) => `${v} s`),
    verdict(lagSecs),
  ]);
  rows.push([
    "drain time",
    r.lag.drainSeconds === null ? "not drained" : `${r.lag.drainSeconds.toFixed(2)} s`,
    rule(drain, (v) => `${v} s`),
    verdict(drain),
  ]);
  const l = r.ledger;
  if (l) {
    const ledgerOk = l.ok ? green("ok") : red("FAIL");
    rows.push(["ledger", `lost ${l.lost}, duplicated ${l.duplicated}`, "0 / 0", ledgerOk]);
    detail.push(
      dim(
        `accepted ${fmtNum(l.accepted)}, stored ${fmtNum(l.stored)}, rejected ${l.rejected}, projected ${fmtNum(l.projected)}` +
          (l.notProjected || l.projectedTwice
            ? `, not projected ${l.notProjected}, twice ${l.projectedTwice}`
            : ""),
      ),
    );
  } else {
    rows.push(["ledger", "not checked", "", red("FAIL")]);
  }
  if (r.knee) {
    const below = (v: number) =>
      v === 0 && r.knee!.steps.length > 0
        ? `below the first step (${r.knee!.steps[0]!.rate}/s)`
        : `${fmtNum(v)} events/s`;
    rows.push(["knee (within SLOs)", below(r.knee.rate), "", ""]);
    rows.push(["sustained (latency aside)", below(r.knee.sustainedRate), "", ""]);
    rows.push(["peak achieved (no errors)", `${fmtNum(r.knee.peakRate ?? 0)} events/s`, "", ""]);
  }
  for (const t of r.thresholds) {
    if (t.name.startsWith("Flow") && !t.ok)
      rows.push([t.name, fmtValue(t.observed, t.unit), t.rule, verdict(t)]);
  }

  const ESC = String.fromCharCode(27);
  const strip = (s: string) =>
    s
      .split(ESC)
      .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, "")))
      .join("");
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => strip(row[i]!).length)));
  const pad = (s: string, w: number) => s + " ".repeat(Math.max(0, w - strip(s).length));
  if (r.engine) {
    const cpu = r.engine.cpuMsPerRequest;
    rows.push([
      "engine",
      `${r.engine.name} (${r.engine.version})`,
      cpu === null ? "" : `generator CPU ${cpu.toFixed(3)} ms/request`,
      "",
    ]);
  }
  const cost = r.cost;
  if (cost) {
    const w = cost.loadAndDrain;
    rows.push([
      "stack CPU/event",
      w.stack.msPerEvent === null ? "-" : `${w.stack.msPerEvent.toFixed(2)} ms`,
      w.stack.msPerEvent === null ? "" : `(${partsText(w)}${jitText(cost)})`,
      "",
    ]);
    rows.push([
      "stack CPU",
      `${w.stack.cpuSeconds.toFixed(1)} s, ${w.stack.cores.toFixed(2)} cores`,
      `load + drain ${w.seconds.toFixed(1)} s, ${fmtNum(w.events)} events; machine ${machineText(w)}`,
      "",
    ]);
    for (const note of cost.notes) detail.push(dim(`note: ${note}`));
  }
  if (r.knee?.steps.some((s) => s.cpuMsPerEvent != null)) {
    detail.push(
      dim(
        `stack CPU/event per step: ${r.knee.steps
          .map((s) => `${s.rate}/s ${s.cpuMsPerEvent == null ? "-" : s.cpuMsPerEvent.toFixed(2)}`)
          .join(", ")} (ms)`,
      ),
    );
  }
  const head = `${bold(`Run ${r.runId}`)}  ${describeLoad(r)}  ->  ${
    r.passed ? green(bold("PASSED")) : red(bold("FAILED"))
  }`;
  const lines = rows.map(
    ([a, b, c, d]) => `  ${pad(a, widths[0]!)}  ${pad(b, widths[1]!)}  ${pad(c, widths[2]!)}  ${d}`,
  );
  return [head, ...lines, ...detail.map((d) => `  ${" ".repeat(widths[0]!)}  ${d}`)].join("\n");
}

/** "load, 1000/s for 60s", "load, 200/s for 20s after a 10s warm-up", "ramp, 250/s to 3000/s in steps of 250/s", "spike, 200/s -> 2000/s". */
export function describeLoad(r: Report): string {
  const p = r.params;
  if (r.scenario === "ramp" && r.knee) {
    const rates = r.knee.steps.map((s) => s.rate);
    return `ramp, ${rates[0] ?? "?"}/s to ${rates.at(-1) ?? "?"}/s in ${rates.length} steps`;
  }
  if (r.scenario === "spike")
    return `spike, ${String(p.BASE_RATE ?? 200)}/s -> ${String(p.SPIKE_RATE ?? p.rate)}/s`;
  return `${r.scenario}, ${String(p.rate)}/s${p.duration ? ` for ${String(p.duration)}` : ""}${
    p.warmup ? ` after a ${String(p.warmup)} warm-up` : ""
  }`;
}

/** "kafka 1.11, postgres 0.97, producer 0.69, ...": ms per event by part, costliest first. */
export function partsText(w: CostWindow, shown = 7): string {
  const fmt = (v: number | null) => (v === null ? "-" : v.toFixed(2));
  const parts = w.parts.filter((p) => (p.msPerEvent ?? 0) >= 0.005);
  const head = parts.slice(0, shown).map((p) => `${p.name} ${fmt(p.msPerEvent)}`);
  const rest = parts.slice(shown);
  if (rest.length)
    head.push(`${rest.length} others ${fmt(rest.reduce((a, p) => a + (p.msPerEvent ?? 0), 0))}`);
  return head.join(", ") || "no part above 0.005 ms";
}

/** "kafka's JIT compiler 1.45 of its 2.84": what a JVM part spent compiling, within its own figure (ms). */
export const jitPhrase = (part: string, ms: number, of: number | null | undefined): string =>
  `${part}'s JIT compiler ${ms.toFixed(2)}${of == null ? "" : ` of its ${of.toFixed(2)}`}`;

/** "; kafka's JIT compiler 1.45 of its 2.84": the end of the summary's CPU line. */
export function jitText(cost: RunCost): string {
  return cost.jit
    .filter((j) => (j.msPerEvent ?? 0) >= 0.005)
    .map(
      (j) =>
        `; ${jitPhrase(j.part, j.msPerEvent!, cost.loadAndDrain.parts.find((p) => p.name === j.part)?.msPerEvent)}`,
    )
    .join("");
}

/** "93% busy (stack 71%, generator 9%, other 13%)": shares of the machine's capacity. */
export function machineText(w: CostWindow): string {
  const p = (x: number) => `${(x * 100).toFixed(0)}%`;
  const m = w.machine;
  return `${p(m.busy)} busy (stack ${p(m.stack)}, generator ${p(m.generator)}, other ${p(m.other)})`;
}

/** ", 52 reads" (", 310 reads polled" for PROBE_MODE=poll); nothing for an older report. */
export function probeReadsText(e2e: Report["e2e"]): string {
  if (e2e.reads === undefined) return "";
  return `, ${fmtNum(e2e.reads)} read${e2e.reads === 1 ? "" : "s"}${e2e.probeMode === "poll" ? " polled" : ""}`;
}
