// Event store append throughput against the raw PostgreSQL ceiling and Emmett's PostgreSQL
// store, all in one run on the same database, with the same events and the same writers.
import { cpuSample, cpuShares } from "./machine.ts";
import {
  checkTarget,
  formatMargin,
  formatRate,
  formatRatio,
  median,
  perSecond,
  ratio,
  renderTable,
  type TargetCheck,
} from "./stats.ts";
import {
  checkpoint,
  emmett,
  eventscopeStore,
  rawPostgres,
  runTag,
  type SystemUnderTest,
} from "./append/systems.ts";
import { prototypeVariants } from "./append/prototype.ts";
import { planWorkload, streamsPerAppend, type Shape, type WriterPlan } from "./workload.ts";
import type { Benchmark, BenchContext, BenchResult } from "./types.ts";

export const TARGET_STORE_VS_RAW = 0.8;
export const TARGET_STORE_VS_EMMETT = 2.0;

interface Settings {
  shapes: Shape[];
  writers: number[];
  batchSizes: number[];
  runs: number;
  /** Events pre-generated per cell, by batch size, for 4 writers (scaled for fewer). */
  events: Record<number, number>;
  /** A measurement stops starting new appends after this long. */
  capMs: number;
  checkpointEachMeasurement: boolean;
  /** Extra store variants (prototypes in src/append/prototype.ts), by key. */
  variants: string[];
}

const list = (value: string | undefined, fallback: number[]) =>
  value ? value.split(",").map((v) => Number(v.trim())) : fallback;

function settings(quick: boolean, env = process.env): Settings {
  const full = { 1: 4_000, 10: 16_000, 100: 48_000, 500: 60_000 };
  const small = { 1: 400, 10: 2_000, 100: 8_000, 500: 10_000 };
  return {
    shapes: (env.SHAPES?.split(",") as Shape[] | undefined) ?? ["multi-stream", "single-stream"],
    writers: list(env.WRITERS, [4, 1]),
    batchSizes: list(env.BATCH_SIZES, [1, 10, 100, 500]),
    runs: Number(env.RUNS ?? (quick ? 1 : 3)),
    events: quick ? small : full,
    capMs: Number(env.CAP_MS ?? (quick ? 600 : 2_000)),
    checkpointEachMeasurement: env.CHECKPOINT !== "0",
    variants: env.APPEND_VARIANTS ? env.APPEND_VARIANTS.split(",").map((v) => v.trim()) : [],
  };
}

interface Measurement {
  system: string;
  run: number;
  events: number;
  ms: number;
  eventsPerSecond: number;
  /** CPU of this Node process (all writers' client work) in % of one core. */
  clientCpu: number;
  /** Machine-wide CPU shares during the measurement (all cores), in %. */
  machineBusy: number;
  steal: number;
}

interface Row {
  shape: Shape;
  writers: number;
  batchSize: number;
  streamsPerAppend: number;
  /** Exactly what one append call carried, for every system in the row. */
  append: string;
  eventsPlanned: number;
  measurements: Measurement[];
  medians: Record<string, number>;
  storeVsRaw: TargetCheck;
  storeVsEmmett?: TargetCheck;
  variantsVsRaw: Record<string, number>;
}

/** Appends every writer's batches concurrently until done or the cap; returns events and ms. */
async function measure(system: SystemUnderTest, plans: WriterPlan[], capMs: number) {
  const cpu = process.cpuUsage();
  const machineFrom = cpuSample();
  const started = performance.now();
  const deadline = started + capMs;
  const counts = await Promise.all(
    plans.map(async (plan, w) => {
      const writer = system.writer(w);
      let events = 0;
      for (const batch of plan) {
        if (performance.now() > deadline) break;
        await writer.append(batch);
        events += batch.length;
      }
      return events;
    }),
  );
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const shares = cpuShares(machineFrom, cpuSample());
  return {
    events: counts.reduce((a, b) => a + b, 0),
    ms,
    clientCpu: Math.round(((used.user + used.system) / 1000 / ms) * 100),
    machineBusy: Math.round(100 - shares.idle - shares.iowait),
    steal: shares.steal,
  };
}

const describeShape = (shape: Shape, batchSize: number, streams: number) =>
  shape === "multi-stream"
    ? `${batchSize} events over ${streams} streams per append`
    : `${batchSize} events of 1 stream per append`;

export const benchmark: Benchmark = {
  name: "event-store-append",
  description:
    "Event store append throughput (events/s) vs the raw PostgreSQL multi-row insert ceiling and Emmett's appendToStream",
  async run(ctx: BenchContext): Promise<BenchResult> {
    const s = settings(ctx.quick);
    const tag = runTag();
    const maxWriters = Math.max(...s.writers);
    const systems: SystemUnderTest[] = [
      rawPostgres(ctx.connectionString, tag),
      eventscopeStore(ctx.connectionString, tag),
      ...(s.variants.includes("raw-indexed") ? [rawPostgres(ctx.connectionString, tag, true)] : []),
      ...prototypeVariants(s.variants.filter((v) => v !== "raw-indexed")).map((v) =>
        eventscopeStore(ctx.connectionString, tag, v),
      ),
      emmett(ctx.connectionString, tag),
    ];
    const cleanup = async () => {
      for (const system of systems) await system.teardown().catch(() => {});
    };
    const unregister = ctx.onInterrupt(cleanup);
    const rows: Row[] = [];
    const cpuFrom = cpuSample();
    const started = performance.now();
    try {
      for (const system of systems) {
        ctx.log(
          `setting up ${system.key} (fresh ${system.key === "emmett" ? "database" : "schema"}, ${maxWriters} connections)`,
        );
        await system.setup(maxWriters);
      }
      // Warm-up: every system appends a small workload of each shape, not measured.
      for (const shape of s.shapes) {
        const plans = planWorkload({ shape, batchSize: 50, writers: maxWriters, events: 2_000 * maxWriters });
        for (const system of systems) {
          if (shape === "multi-stream" && system.key === "emmett") continue;
          await system.reset();
          await measure(system, plans, ctx.quick ? 300 : 1_000);
        }
      }
      ctx.log(`warm-up done (${((performance.now() - started) / 1000).toFixed(1)} s)`);

      for (const shape of s.shapes) {
        for (const writers of s.writers) {
          for (const batchSize of s.batchSizes) {
            const planned = Math.round(((s.events[batchSize] ?? 20_000) * Math.max(writers, 2)) / 4);
            const plans = planWorkload({ shape, batchSize, writers, events: planned });
            const cellSystems = systems.filter((x) => x.key !== "emmett" || shape === "single-stream");
            const measurements: Measurement[] = [];
            for (let run = 1; run <= s.runs; run++) {
              // Rotate the order so that no system always runs first (or right after a checkpoint).
              const order = cellSystems.map((_, i) => cellSystems[(i + run - 1) % cellSystems.length]!);
              for (const system of order) {
                await system.reset();
                if (s.checkpointEachMeasurement) await checkpoint(ctx.connectionString);
                const m = await measure(system, plans, s.capMs);
                const eps = perSecond(m.events, m.ms);
                measurements.push({
                  system: system.key,
                  run,
                  ...m,
                  ms: Math.round(m.ms),
                  eventsPerSecond: eps,
                });
                ctx.log(
                  `  ${shape.padEnd(13)} w=${writers} b=${String(batchSize).padEnd(3)} run ${run}/${s.runs} ${system.key.padEnd(9)} ${formatRate(eps).padStart(7)} ev/s  (${m.events} events in ${Math.round(m.ms)} ms; client CPU ${m.clientCpu}% of a core, machine busy ${m.machineBusy}%, steal ${m.steal}%)`,
                );
              }
            }
            const medians: Record<string, number> = {};
            for (const system of cellSystems) {
              medians[system.key] = median(
                measurements.filter((m) => m.system === system.key).map((m) => m.eventsPerSecond),
              );
            }
            const variantsVsRaw: Record<string, number> = {};
            for (const v of s.variants) variantsVsRaw[v] = ratio(medians[v]!, medians.raw!);
            rows.push({
              shape,
              writers,
              batchSize,
              streamsPerAppend: streamsPerAppend(plans),
              append: describeShape(shape, batchSize, streamsPerAppend(plans)),
              eventsPlanned: plans.reduce((a, p) => a + p.length * batchSize, 0),
              measurements,
              medians,
              storeVsRaw: checkTarget(ratio(medians.store!, medians.raw!), TARGET_STORE_VS_RAW),
              ...(shape === "single-stream"
                ? {
                    storeVsEmmett: checkTarget(
                      ratio(medians.store!, medians.emmett!),
                      TARGET_STORE_VS_EMMETT,
                    ),
                  }
                : {}),
              variantsVsRaw,
            });
          }
        }
      }
    } finally {
      await cleanup();
      unregister();
    }
    const cpu = cpuShares(cpuFrom, cpuSample());
    const seconds = Math.round((performance.now() - started) / 1000);
    return {
      name: this.name,
      description: this.description,
      config: {
        runs: s.runs,
        statistic: `median of ${s.runs} run(s) per cell; ratios are ratios of the medians`,
        writers: s.writers,
        batchSizes: s.batchSizes,
        shapes: {
          "multi-stream":
            "raw and store: each append carries N events of N different streams (each writer owns 10,000/writers streams, round-robin); Emmett not run (appendToStream takes one stream per call)",
          "single-stream":
            "every system: each append carries N consecutive events of one stream (each writer rotates over 8 streams of its own); Emmett: one appendToStream(stream, N events) call",
        },
        events:
          "Task events (TaskCreated for version 1, then TaskUpdated): ~280-byte JSON data, envelope metadata with correlationId, causationId, userId, source, traceparent, acceptedAt; the same events for every system in a cell",
        eventsPerCell: s.events,
        capMsPerMeasurement: s.capMs,
        checkpointBeforeEachMeasurement: s.checkpointEachMeasurement,
        tablesEmptiedBeforeEachMeasurement: true,
        snapshotEvery: 100,
        systems: Object.fromEntries(systems.map((x) => [x.key, x.description])),
        variants: s.variants,
        quick: ctx.quick,
      },
      report: report(rows, s),
      data: { seconds, cpuDuringRun: cpu, rows },
    };
  },
};

function report(rows: Row[], s: Settings): string {
  const header = ["shape", "writers", "batch", "streams/append", "raw ev/s", "store ev/s"];
  for (const v of s.variants) header.push(`${v} ev/s`);
  header.push("emmett ev/s", "store/raw", "store/emmett");
  for (const v of s.variants) header.push(`${v}/raw`);
  const table = renderTable(
    header,
    rows.map((r) => [
      r.shape,
      String(r.writers),
      String(r.batchSize),
      String(r.streamsPerAppend),
      formatRate(r.medians.raw!),
      formatRate(r.medians.store!),
      ...s.variants.map((v) => formatRate(r.medians[v]!)),
      r.shape === "single-stream" ? formatRate(r.medians.emmett!) : "n/a",
      formatRatio(r.storeVsRaw.value),
      r.storeVsEmmett ? formatRatio(r.storeVsEmmett.value) : "n/a",
      ...s.variants.map((v) => formatRatio(r.variantsVsRaw[v]!)),
    ]),
    1,
  );
  const lines = [table, ""];
  lines.push("Shapes:");
  lines.push(
    "  multi-stream : raw and store append N events of N different streams per append; Emmett n/a (one stream per call)",
  );
  lines.push(
    "  single-stream: every system appends N consecutive events of one stream per append (Emmett: one appendToStream call)",
  );
  lines.push(
    `Figures: medians of ${s.runs} run(s); writers = concurrent appenders, each with its own connection.`,
  );
  lines.push("");
  lines.push(
    `Targets (DESIGN.md): store >= ${TARGET_STORE_VS_RAW} x raw; store >= ${TARGET_STORE_VS_EMMETT} x Emmett at the same batch shape`,
  );
  for (const r of rows) {
    const cell = `${r.shape.padEnd(13)} writers=${r.writers} batch=${String(r.batchSize).padEnd(3)}`;
    const verdict = (name: string, c: TargetCheck) =>
      `${name} ${formatRatio(c.value)} ${c.met ? "MET   " : "MISSED"} (${formatMargin(c.margin)} vs ${c.target})`;
    const parts = [verdict("store/raw", r.storeVsRaw)];
    if (r.storeVsEmmett) parts.push(verdict("store/emmett", r.storeVsEmmett));
    lines.push(`  ${cell} ${parts.join("   ")}`);
  }
  const primary = rows.filter((r) => r.writers === 4);
  if (primary.length > 0) {
    const raw = primary.filter((r) => r.storeVsRaw.met).length;
    const em = primary.filter((r) => r.storeVsEmmett);
    lines.push("");
    lines.push(
      `With 4 writers: store/raw target met in ${raw} of ${primary.length} cells; store/emmett target met in ${em.filter((r) => r.storeVsEmmett!.met).length} of ${em.length} cells.`,
    );
  }
  return lines.join("\n");
}
