/**
 * The probe's two ways of reading its event back, on the same events: each event is posted once,
 * then read at the same moment by a wait on its 202's `readAfter` (PROBE_MODE=wait) and by a poll
 * of the user's activity every `--poll-ms` (PROBE_MODE=poll); the difference between the two
 * answers that show it is what the wait adds or saves. A figure, not a test; against the running
 * stack, gently (one event at a time):
 *
 *   node loadtests/src/native/probe-pair.ts [--events 40] [--poll-ms 5] [--gap-ms 150]
 */
import { parseArgs } from "node:util";
import { planFor } from "../../scenarios/lib/model.ts";
import { probeOutcome, probeReadPath, type ReadAfter } from "../../scenarios/lib/probe.ts";
import { percentile } from "../stats.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function getJson(url: string, headers: Record<string, string>) {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    try {
      return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
    } catch {
      return { status: res.status, json: null };
    }
  } catch {
    return { status: 0, json: null };
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { events: { type: "string" }, "poll-ms": { type: "string" }, "gap-ms": { type: "string" } },
  });
  const events = Math.max(1, Number(values.events ?? 40));
  const pollMs = Math.max(0, Number(values["poll-ms"] ?? 5));
  const gapMs = Math.max(0, Number(values["gap-ms"] ?? 150));
  const plan = planFor("load", { ...process.env, RUN_ID: `pair-${Date.now().toString(36)}` });
  const key = { "x-api-key": plan.apiKey };
  const waitPlan = { ...plan.probe, mode: "wait" as const };
  const pollPlan = { ...plan.probe, mode: "poll" as const, pollMs };
  const rows: { wait: number; poll: number; polls: number }[] = [];
  for (let i = 0; i < events; i++) {
    const userId = `${plan.prefix}pair-${i}`;
    const res = await fetch(`${plan.producer}/api/events`, {
      method: "POST",
      headers: { ...key, "content-type": "application/json" },
      body: JSON.stringify({ userId, eventType: "probe", metadata: { run: plan.runId } }),
    });
    const accepted = (await res.json()) as { eventId?: string; readAfter?: ReadAfter };
    const acceptedAt = Date.now();
    if (res.status !== 202 || typeof accepted.eventId !== "string") continue;
    const eventId = accepted.eventId;
    const seenBy = async (mode: "wait" | "poll"): Promise<{ at: number | null; reads: number }> => {
      const p = mode === "wait" ? waitPlan : pollPlan;
      let reads = 0;
      while (Date.now() - acceptedAt < p.timeoutMs) {
        const left = p.timeoutMs - (Date.now() - acceptedAt);
        const r = await getJson(
          plan.projection + probeReadPath(p, userId, eventId, accepted.readAfter, left),
          key,
        );
        reads++;
        const o = probeOutcome(mode, r.status, r.json, eventId);
        if (o.kind === "seen") return { at: Date.now(), reads };
        if (o.kind === "rejected" || o.kind === "refused") break;
        await sleep(mode === "poll" ? pollMs : 0);
      }
      return { at: null, reads };
    };
    const [w, p] = await Promise.all([seenBy("wait"), seenBy("poll")]);
    if (w.at !== null && p.at !== null)
      rows.push({ wait: w.at - acceptedAt, poll: p.at - acceptedAt, polls: p.reads });
    await sleep(gapMs);
  }
  const d = rows.map((r) => r.wait - r.poll);
  const fmt = (xs: number[]) => [...xs].sort((a, b) => a - b).join(" ");
  console.log(`${rows.length} of ${events} events seen both ways (poll every ${pollMs} ms)`);
  console.log(`after the 202, wait: ${fmt(rows.map((r) => r.wait))}`);
  console.log(`after the 202, poll: ${fmt(rows.map((r) => r.poll))}`);
  console.log(`wait - poll, ms:     ${fmt(d)}`);
  console.log(
    `median wait - poll ${percentile(d, 50)} ms, within +-25 ms ${d.filter((x) => Math.abs(x) <= 25).length} of ${d.length}, ` +
      `polls per event (median) ${percentile(
        rows.map((r) => r.polls),
        50,
      )}`,
  );
}

await main();
