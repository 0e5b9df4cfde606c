// What a read that waits for its write costs the projection (read-your-writes): 50 reads each
// waiting 2 s for an event the store holds but the projection will never apply (it follows other
// topics), then 50 waiting for event ids the store never saw; the projection's CPU seconds
// (process_cpu_seconds_total) over each, beside 2 s idle. A waiting read that polled in a loop
// would cost about a core for its whole wait. Figures, not a test: BENCH=read-wait make bench
import { randomUUID } from "node:crypto";
import {
  createTopics,
  deleteTopics,
  dropSchema,
  request,
  startService,
  testPool,
  uniqueName,
  waitFor,
} from "@eventscope/testkit";
import type { Benchmark, BenchResult } from "./types.ts";

const WAIT_MS = 2000;
const description = "fresh reads: what a read waiting for its write costs the projection (no busy loop)";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const benchmark: Benchmark = {
  name: "read-wait",
  description,
  async run(ctx): Promise<BenchResult> {
    const READS = ctx.quick ? 10 : Number(process.env.READ_WAIT_READS ?? 50);
    const name = uniqueName("readwait");
    const storeTopics = await createTopics(`${name}a.`);
    const otherTopics = await createTopics(`${name}b.`);
    const storeEnv = { TOPIC_PREFIX: `${name}a.`, DATABASE_SCHEMA: `${name}_s`, LOG_LEVEL: "warn" };
    const store = await startService("event-store", { ...storeEnv, CONSUMER_GROUP: `${name}-s` });
    const producer = await startService("producer", { ...storeEnv, EVENT_STORE_URL: store.url });
    const projection = await startService("projection", {
      TOPIC_PREFIX: `${name}b.`,
      DATABASE_SCHEMA: `${name}_p`,
      CONSUMER_GROUP: `${name}-p`,
      EVENT_STORE_URL: store.url,
      LOG_LEVEL: "error",
    });
    const cpu = async () => {
      const text = await (await fetch(`${projection.url}/metrics`)).text();
      return Number(
        text
          .split("\n")
          .find((l) => l.startsWith("process_cpu_seconds_total"))
          ?.split(" ")
          .at(-1),
      );
    };
    async function measure(ids: string[]) {
      const c0 = await cpu();
      const t0 = Date.now();
      const answers = await Promise.all(
        ids.map((id) => request(`${projection.url}/api/tasks/x?afterEventId=${id}&waitMs=${WAIT_MS}`)),
      );
      return {
        reads: ids.length,
        wallMs: Date.now() - t0,
        cpuSeconds: Number(((await cpu()) - c0).toFixed(3)),
        answers: [...new Set(answers.map((r) => `${r.status} ${r.body.code} store=${r.body.store}`))],
      };
    }

    try {
      const ids: string[] = [];
      for (let i = 0; i < READS; i++)
        ids.push((await request(`${producer.url}/api/tasks`, { body: { title: `t${i}` } })).body.eventId);
      await waitFor(async () => {
        for (const id of ids)
          if ((await request(`${store.url}/api/eventstore/events/${id}`)).body.status !== "committed")
            return false;
        return true;
      }, 60_000);
      for (let i = 0; i < 3; i++)
        await request(`${projection.url}/api/tasks/x?afterEventId=${ids[0]}&waitMs=200`);
      const c0 = await cpu();
      await sleep(WAIT_MS);
      const idleCpuSeconds = Number(((await cpu()) - c0).toFixed(3));
      const storedNotApplied = await measure(ids);
      const pendingInStore = await measure(ids.map(() => randomUUID()));
      const data = { waitMs: WAIT_MS, idleCpuSeconds, storedNotApplied, pendingInStore };
      const perRead = (m: { reads: number; cpuSeconds: number }) =>
        ((m.cpuSeconds / m.reads) * 1000).toFixed(1);
      const report = [
        `${READS} reads waiting up to ${WAIT_MS} ms each, the projection's CPU:`,
        `  idle ${WAIT_MS} ms, no reads: ${idleCpuSeconds} s`,
        `  stored, never applied: ${storedNotApplied.cpuSeconds} s (${perRead(storedNotApplied)} ms a read; ${storedNotApplied.answers.join(", ")})`,
        `  unknown to the store:  ${pendingInStore.cpuSeconds} s (${perRead(pendingInStore)} ms a read; ${pendingInStore.answers.join(", ")})`,
      ].join("\n");
      ctx.log(report);
      return { name: "read-wait", description, config: { reads: READS, waitMs: WAIT_MS }, report, data };
    } finally {
      await Promise.all([producer.kill(), store.kill(), projection.kill()]);
      const pool = testPool();
      await dropSchema(pool, `${name}_s`);
      await dropSchema(pool, `${name}_p`);
      await pool.end();
      await deleteTopics(storeTopics);
      await deleteTopics(otherTopics);
    }
  },
};
