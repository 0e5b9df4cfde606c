// Read-your-writes: a read that names an event (afterEventId) or a global position (minPosition)
// waits, bounded, until the read models have applied it. The event store says which stream and
// version the event is (or that it is still pending, or rejected); consumed_streams says what
// the consumer applied, in the same transaction as the read models. Waiting costs no loop: the
// consumer's commits notify (migration 003), and one check per notification serves every
// waiting read; a slow timer covers a lost listening connection.
import { streamIdOf } from "@eventscope/contracts";
import { ProblemError, type Logger, type Pool, type PoolClient } from "@eventscope/platform";
import type { StoreClient } from "./store-client.ts";

export interface FreshnessTarget {
  afterEventId?: string | undefined;
  minPosition?: string | undefined;
}

export interface FreshnessDeps {
  pool: Pool;
  logger: Logger;
  store: StoreClient;
  /** Re-checks while reads wait and the listening connection is up (a safety net). */
  fallbackMs?: number;
}

interface StoredEvent {
  aggregateType: string;
  aggregateId: string;
  version: number;
}
type Resolution =
  | { kind: "pending" }
  | { kind: "stored"; streamId: string; version: number }
  | { kind: "rejected"; code: string; reason: string; rejectedAt: string };

interface Waiter {
  streamId: string;
  version: number;
  done: () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The problem a read answers when its write has not been applied within the wait. */
export const readModelStale = (detail: string, extra: Record<string, unknown>) =>
  new ProblemError(detail, {
    code: "READ_MODEL_STALE",
    status: 503,
    retriable: true,
    retryAfterSeconds: 1,
    extra,
  });

export function createFreshness(deps: FreshnessDeps) {
  const { pool, logger, store } = deps;
  const waiting = new Set<Waiter>();
  let listener: PoolClient | undefined;
  let listening: Promise<void> | undefined;
  let stopped = false;
  let checking = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  /** Checks run and store questions asked, for tests and benchmarks. */
  const counters = { checks: 0, storeAsks: 0, notifications: 0 };
  // Reads whose event the store has not decided yet sleep on their backoff or until the next
  // commit notification, whichever comes first: a commit is when the event may just have been
  // stored and applied, so the answer is not held back by the backoff (up to 200 ms).
  let wakers: (() => void)[] = [];
  const wake = () => {
    const now = wakers;
    wakers = [];
    for (const w of now) w();
  };
  const sleepOrCommit = (ms: number) =>
    new Promise<void>((done) => {
      const t = setTimeout(finish, ms);
      function finish() {
        clearTimeout(t);
        wakers = wakers.filter((w) => w !== finish);
        done();
      }
      wakers.push(finish);
    });

  async function check(): Promise<void> {
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        if (waiting.size === 0) break;
        counters.checks++;
        const ids = [...new Set([...waiting].map((w) => w.streamId))];
        const { rows } = await pool.query<{ stream_id: string; version: number }>(
          "SELECT stream_id, version FROM consumed_streams WHERE stream_id = ANY($1::text[])",
          [ids],
        );
        const applied = new Map(rows.map((r) => [r.stream_id, r.version]));
        for (const w of waiting) if ((applied.get(w.streamId) ?? 0) >= w.version) w.done();
      } while (again);
    } catch (error) {
      logger.warn({ err: error }, "read-your-writes check failed; retried on the next notification");
    } finally {
      checking = false;
    }
  }

  function schedule(ms: number) {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      void check().finally(() => {
        if (waiting.size > 0) schedule(listener ? (deps.fallbackMs ?? 1000) : 100);
      });
    }, ms);
    timer.unref();
  }

  async function listen(): Promise<void> {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ channel: string }>(
        "SELECT 'eventscope_applied_' || left(md5(current_schema()), 16) AS channel",
      );
      await client.query(`LISTEN "${rows[0]!.channel}"`);
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    client.on("notification", () => {
      counters.notifications++;
      wake();
      void check();
    });
    client.on("error", (error) => {
      logger.warn({ err: error }, "read-your-writes listener lost; listening again");
      if (listener === client) listener = undefined;
      client.release(error);
      listening = undefined;
    });
    listener = client;
  }

  const ensureListening = (): Promise<void> =>
    (listening ??= listen().catch((error: unknown) => {
      listening = undefined;
      logger.warn({ err: error }, "read-your-writes listener could not start; checking on a timer");
    }));

  async function resolve(target: FreshnessTarget, timeoutMs: number): Promise<Resolution> {
    const path = target.afterEventId
      ? `/api/eventstore/events/${target.afterEventId}`
      : `/api/eventstore/positions/${target.minPosition}`;
    counters.storeAsks++;
    const { status, body } = await store.get<{
      status: string;
      event?: StoredEvent;
      code?: string;
      reason?: string;
      rejectedAt?: string;
    }>(path, Math.max(50, Math.min(timeoutMs, 2000)));
    if (status !== 200 || body.status === "pending") return { kind: "pending" };
    if (body.status === "rejected")
      return { kind: "rejected", code: body.code!, reason: body.reason!, rejectedAt: body.rejectedAt! };
    const e = body.event!;
    return { kind: "stored", streamId: streamIdOf(e.aggregateType, e.aggregateId), version: e.version };
  }

  /**
   * Asks the store until it has decided the event, backing off from 10 ms to 200 ms (sooner on a
   * consumer's commit notification, at most every 5 ms), last at the deadline.
   */
  async function decided(target: FreshnessTarget, deadline: number): Promise<Resolution> {
    let delay = 10;
    // The store unreachable is the answer only when it never answered: a last question cut
    // short by the deadline leaves the event pending.
    let answered = false;
    for (;;) {
      let failure: Error | undefined;
      try {
        const r = await resolve(target, deadline - Date.now());
        if (r.kind !== "pending") return r;
        answered = true;
      } catch (error) {
        failure = error as Error;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        if (failure && !answered) throw failure;
        return { kind: "pending" };
      }
      // At least 5 ms between questions, however often the consumers commit.
      const wait = Math.min(delay, left);
      await sleep(Math.min(5, wait));
      await sleepOrCommit(Math.max(0, wait - 5));
      delay = Math.min(200, delay * 2);
    }
  }

  /** Waits until the read models have applied the target, or throws the problem to answer. */
  async function waitFor(target: FreshnessTarget, waitMs: number): Promise<void> {
    const started = Date.now();
    const deadline = started + waitMs;
    const named = target.afterEventId
      ? { afterEventId: target.afterEventId }
      : { minPosition: target.minPosition };
    const listenerReady = ensureListening();
    const r = await decided(target, deadline);
    if (r.kind === "rejected") {
      throw new ProblemError(`event ${target.afterEventId} was rejected by the event store: ${r.reason}`, {
        code: "EVENT_REJECTED",
        status: 404,
        extra: { ...named, rejectionCode: r.code, reason: r.reason, rejectedAt: r.rejectedAt },
      });
    }
    if (r.kind === "pending") {
      throw readModelStale(
        `the event store has not stored ${target.afterEventId ?? `position ${target.minPosition}`} yet`,
        {
          ...named,
          waitedMs: Date.now() - started,
          store: "pending",
        },
      );
    }
    await listenerReady;
    const applied = await new Promise<boolean>((done) => {
      const waiter: Waiter = {
        streamId: r.streamId,
        version: r.version,
        done: () => {
          waiting.delete(waiter);
          clearTimeout(expiry);
          done(true);
        },
      };
      const expiry = setTimeout(
        () => {
          waiting.delete(waiter);
          done(false);
        },
        Math.max(0, deadline - Date.now()),
      );
      waiting.add(waiter);
      void check();
      schedule(listener ? (deps.fallbackMs ?? 1000) : 100);
    });
    if (!applied) {
      throw readModelStale(`the read models have not applied ${r.streamId} version ${r.version} yet`, {
        ...named,
        waitedMs: Date.now() - started,
        store: "stored",
        streamId: r.streamId,
        version: r.version,
      });
    }
  }

  return {
    waitFor,
    counters,
    /** Waiting reads right now. */
    waiting: () => waiting.size,
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      for (const w of waiting) w.done();
      const client = listener;
      listener = undefined;
      if (client) {
        client.removeAllListeners("notification");
        client.release();
      }
    },
  };
}

export type Freshness = ReturnType<typeof createFreshness>;
