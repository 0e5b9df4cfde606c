// Sends the outbox: each process's pending steps in the order they were decided, through the
// producer's POST /api/events (validated, traced and stored like any other event), with the
// step's own event id and an Idempotency-Key. A 202 (a duplicate included: sent before a crash)
// marks the step sent; an answer that no retry can change marks it refused; anything else
// (the producer down, a 503) is retried with backoff. Rows stay locked while being sent, so two
// instances never send one step at once.
import {
  context,
  failSpan,
  SpanKind,
  trace,
  traceHeaders,
  extractContext,
  withTransaction,
  type Logger,
  type Metrics,
  type Pool,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { typeOfProcess } from "./sagas/index.ts";

export interface DispatcherOptions {
  pool: Pool;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  producerUrl: string;
  apiKey: string;
  intervalMs: number;
  sendTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Most steps sent per round. */
  batch?: number;
}

interface DueStep {
  event_id: string;
  process_id: string;
  step: string;
  event_type: string;
  envelope: Record<string, unknown>;
  caused_by: string | null;
  traceparent: string | null;
  attempts: number;
}

/** Answers a retry cannot change: the command itself is wrong. */
const refusedStatuses = new Set([400, 409, 413, 415, 422]);

export const retryDelayMs = (attempts: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));

export function createDispatcher(options: DispatcherOptions) {
  const { pool, logger, metrics, tracer } = options;
  const batch = options.batch ?? 50;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let stopped = false;

  async function send(
    step: DueStep,
  ): Promise<{ result: "sent" | "duplicate" | "refused" | "retry"; error?: string }> {
    const type = typeOfProcess(step.process_id);
    const parent = step.traceparent ? extractContext({ traceparent: step.traceparent }) : context.active();
    const span = tracer.startSpan(
      `process ${type} ${step.step.split(":")[0]}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "eventscope.process.id": step.process_id,
          "eventscope.process.step": step.step,
          "eventscope.event.id": step.event_id,
          "eventscope.event.type": step.event_type,
          ...(step.caused_by ? { "eventscope.event.causation_id": step.caused_by } : {}),
        },
      },
      parent,
    );
    try {
      const headers = traceHeaders(trace.setSpan(parent, span));
      const response = await fetch(`${options.producerUrl}/api/events`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-api-key": options.apiKey,
          "idempotency-key": step.event_id,
          ...(headers.traceparent ? { traceparent: headers.traceparent } : {}),
        },
        body: JSON.stringify(step.envelope),
        signal: AbortSignal.timeout(options.sendTimeoutMs),
      });
      const text = await response.text();
      span.setAttribute("http.response.status_code", response.status);
      if (response.status === 202) {
        const duplicate = /"duplicate"\s*:\s*true/.test(text);
        return { result: duplicate ? "duplicate" : "sent" };
      }
      const error = `HTTP ${response.status}: ${text.slice(0, 500)}`;
      return { result: refusedStatuses.has(response.status) ? "refused" : "retry", error };
    } catch (error) {
      failSpan(span, error);
      return { result: "retry", error: (error as Error).message };
    } finally {
      span.end();
    }
  }

  /** One round: the first pending step of each process that is due; true when it sent any. */
  async function round(): Promise<boolean> {
    return withTransaction(pool, async (client) => {
      // Named: asked every round, idle or not; one plan serves every call (its one parameter is a limit).
      const { rows } = await client.query<DueStep>({
        name: "process-manager-due-steps",
        text: `SELECT s.event_id, s.process_id, s.step, s.event_type, s.envelope, s.caused_by, s.traceparent, s.attempts
         FROM process_steps s
         WHERE s.status = 'pending' AND s.next_attempt_at <= now()
           AND NOT EXISTS (SELECT 1 FROM process_steps e
                           WHERE e.process_id = s.process_id AND e.status = 'pending' AND e.seq < s.seq)
         ORDER BY s.seq LIMIT $1 FOR UPDATE OF s SKIP LOCKED`,
        values: [batch],
      });
      for (const step of rows) {
        const { result, error } = await send(step);
        metrics.processCommands.inc({ type: typeOfProcess(step.process_id), result });
        if (result === "sent" || result === "duplicate") {
          await client.query(
            `UPDATE process_steps SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL
             WHERE event_id = $1 AND status = 'pending'`,
            [step.event_id],
          );
        } else if (result === "refused") {
          logger.error(
            { eventId: step.event_id, processId: step.process_id, step: step.step, error },
            "command refused",
          );
          await client.query(
            `UPDATE process_steps SET status = 'refused', attempts = attempts + 1, last_error = $2 WHERE event_id = $1`,
            [step.event_id, error],
          );
        } else {
          const delay = retryDelayMs(step.attempts + 1, options.retryBaseMs, options.retryMaxMs);
          logger.warn(
            { eventId: step.event_id, step: step.step, error, delayMs: delay },
            "command not sent; retrying",
          );
          await client.query(
            `UPDATE process_steps SET attempts = attempts + 1, last_error = $2,
               next_attempt_at = now() + make_interval(secs => $3::float8 / 1000) WHERE event_id = $1`,
            [step.event_id, error, delay],
          );
        }
      }
      return rows.length > 0;
    });
  }

  async function run(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        while (!stopped && (await round())) {
          /* keep going while there is work */
        }
      } while (again && !stopped);
    } catch (error) {
      logger.warn({ err: error }, "dispatch round failed");
    } finally {
      running = false;
    }
  }

  return {
    start() {
      timer = setInterval(() => void run(), options.intervalMs);
      void run();
    },
    wake: () => void run(),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      while (running) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
