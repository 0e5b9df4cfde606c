// Fires the stored timers that are due (a cart idle, a payment pending, a customer not yet
// confirmed): each one is taken, locked, deleted and fed to its process in one transaction,
// so a timer fires once even with two instances, and one set before a crash fires after it.
import { withTransaction, type Logger, type Metrics, type Pool } from "@eventscope/platform";
import { countEffects } from "./consumer.ts";
import { feed, flush, newWork, type Effects } from "./engine.ts";
import type { Settings } from "./sagas/index.ts";

export interface TimerOptions {
  pool: Pool;
  logger: Logger;
  metrics: Metrics;
  settings: Settings;
  intervalMs: number;
  onWritten: (effects: Effects) => void;
}

export function createTimers(options: TimerOptions) {
  const { pool, logger } = options;
  let interval: NodeJS.Timeout | undefined;
  let running = false;

  async function round(): Promise<number> {
    const effects = await withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ process_id: string; name: string }>(
        `DELETE FROM process_timers WHERE (process_id, name) IN (
           SELECT process_id, name FROM process_timers WHERE due_at <= now()
           ORDER BY due_at LIMIT 50 FOR UPDATE SKIP LOCKED)
         RETURNING process_id, name`,
      );
      const work = newWork(client, options.settings);
      for (const timer of rows) {
        logger.info({ processId: timer.process_id, timer: timer.name }, "timer fired");
        await feed(work, timer.process_id, { kind: "timer", name: timer.name }, {});
      }
      await flush(work);
      return { ...work.effects, fired: rows.length };
    });
    countEffects(options.metrics, effects);
    if (effects.fired > 0) options.onWritten(effects);
    return effects.fired;
  }

  async function tick() {
    if (running) return;
    running = true;
    try {
      while ((await round()) > 0) {
        /* more may be due */
      }
    } catch (error) {
      logger.warn({ err: error }, "timer round failed");
    } finally {
      running = false;
    }
  }

  return {
    start() {
      interval = setInterval(() => void tick(), options.intervalMs);
    },
    async stop() {
      if (interval) clearInterval(interval);
      while (running) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
