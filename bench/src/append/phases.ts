// Where an append's time goes: runs the real decideBatch + withTransaction(appendBatch) from
// one writer (no concurrency, so each statement's wall time is its own round trip and
// execution) and sums the time per phase: decide, BEGIN, each statement, COMMIT.
//   node bench/src/append/phases.ts            (BATCH_SIZES=1,10,100,500 SHAPES=... RUNS=3)
// A diagnostic beside the benchmark, not part of `make bench`.
import { createPool, migrate, quoteIdent, withTransaction, type PoolClient } from "@eventscope/platform";
import { appendBatch, decideBatch, type Head } from "@eventscope/event-store";
import { median, renderTable } from "../stats.ts";
import { planWorkload, type Shape } from "../workload.ts";
import { runTag, SNAPSHOT_EVERY, STORE_MIGRATIONS } from "./systems.ts";

const connectionString =
  process.env.DATABASE_URL ?? "postgres://eventscope:eventscope@127.0.0.1:55432/eventscope";
const shapes = (process.env.SHAPES?.split(",") as Shape[] | undefined) ?? ["multi-stream", "single-stream"];
const batchSizes = (process.env.BATCH_SIZES ?? "1,10,100,500").split(",").map(Number);
const runs = Number(process.env.RUNS ?? 3);
const eventsPerCell = Number(process.env.EVENTS ?? 20_000);

/** The statement's first words: "BEGIN", "INSERT INTO events", "INSERT INTO streams", ... */
const phaseOf = (text: string) => {
  const words = text.trim().split(/\s+/);
  return words[0] === "INSERT" ? `${words[0]} ${words[1]} ${words[2]}` : words[0]!;
};

function timed(client: PoolClient, phases: Map<string, number>): PoolClient {
  const query = client.query.bind(client) as (text: string, values?: unknown[]) => Promise<unknown>;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "query") return Reflect.get(target, prop, receiver);
      return async (text: string, values?: unknown[]) => {
        const started = performance.now();
        try {
          return await query(text, values);
        } finally {
          const phase = phaseOf(text);
          phases.set(phase, (phases.get(phase) ?? 0) + performance.now() - started);
        }
      };
    },
  });
}

const schema = `bench_${runTag()}_phases`;
const pool = createPool({ connectionString, schema, max: 1, applicationName: "bench-phases" });
const rows: string[][] = [];
try {
  await migrate(pool, { schema, dir: STORE_MIGRATIONS });
  for (const shape of shapes) {
    for (const batchSize of batchSizes) {
      const plans = planWorkload({
        shape,
        batchSize,
        writers: 1,
        events: Math.min(eventsPerCell, batchSize * 2000),
      });
      const perRun: Map<string, number>[] = [];
      let events = 0;
      for (let run = 0; run < runs; run++) {
        await pool.query("TRUNCATE events, streams, snapshots, rejected_events RESTART IDENTITY");
        await pool.query("CHECKPOINT");
        const heads = new Map<string, Head>();
        const phases = new Map<string, number>();
        const started = performance.now();
        events = 0;
        for (const planned of plans[0]!) {
          const t = performance.now();
          const decision = decideBatch(
            planned.map((p) => p.envelope),
            (id) => heads.get(id),
            SNAPSHOT_EVERY,
          );
          phases.set("decide", (phases.get("decide") ?? 0) + performance.now() - t);
          // BEGIN and COMMIT go through the pool's client too: time them by wrapping connect.
          await withTransaction(
            new Proxy(pool, {
              get(target, prop, receiver) {
                if (prop !== "connect") return Reflect.get(target, prop, receiver);
                return async () => timed(await target.connect(), phases);
              },
            }),
            (client) => appendBatch(client, decision.batch),
          );
          for (const [id, head] of decision.heads) heads.set(id, head);
          events += planned.length;
        }
        phases.set("total", performance.now() - started);
        perRun.push(phases);
      }
      const names = [...perRun[0]!.keys()];
      const perEvent = (name: string) => median(perRun.map((p) => ((p.get(name) ?? 0) * 1000) / events));
      const total = perEvent("total");
      rows.push([
        shape,
        String(batchSize),
        String(events),
        Math.round((events * 1000) / median(perRun.map((p) => p.get("total")!))).toLocaleString("en-US"),
        names
          .filter((n) => n !== "total")
          .map((n) => `${n} ${perEvent(n).toFixed(1)} µs (${Math.round((perEvent(n) / total) * 100)}%)`)
          .join(", "),
      ]);
      process.stdout.write(`${rows.at(-1)!.join("  ")}\n`);
    }
  }
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => {});
  await pool.end();
}
process.stdout.write(
  `\nOne writer, median of ${runs} runs, time per event by phase (wall time of each statement from the client):\n`,
);
process.stdout.write(`${renderTable(["shape", "batch", "events", "ev/s", "per event"], rows, 1)}\n`);
