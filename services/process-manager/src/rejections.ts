// Reads events.rejected for the commands this service sent: the event store refused a step
// (too little stock for a reservation, a transition no longer allowed), so the step is marked
// rejected and its process decides what follows (e.g. release and cancel). Others' rejections
// are skipped.
import { fromKafkaRecord, MalformedRecordError } from "@eventscope/contracts";
import {
  createBatchConsumer,
  headerValue,
  withTransaction,
  type Kafka,
  type KafkaMessage,
  type Logger,
  type Metrics,
  type Pool,
} from "@eventscope/platform";
import { countEffects } from "./consumer.ts";
import { feed, flush, newWork, type Effects } from "./engine.ts";
import type { Settings } from "./sagas/index.ts";
import { lockRejectedStep, markRejected } from "./store.ts";

export interface RejectionDeps {
  kafka: Kafka;
  pool: Pool;
  logger: Logger;
  metrics: Metrics;
  groupId: string;
  topic: string;
  settings: Settings;
  onWritten: (effects: Effects) => void;
}

export function createRejectedConsumer(deps: RejectionDeps) {
  const { pool, logger, metrics } = deps;

  async function handle(messages: KafkaMessage[]): Promise<void> {
    const ours: { eventId: string; code: string; reason: string; traceparent: string | undefined }[] = [];
    for (const message of messages) {
      try {
        const event = fromKafkaRecord({ key: message.key, value: message.value, headers: message.headers });
        if (event.metadata.source !== "process-manager") continue;
        const headers = message.headers as Record<string, unknown> | undefined;
        ours.push({
          eventId: event.eventId,
          code: headerValue(headers, "ce_rejectioncode") ?? "REJECTED",
          reason: headerValue(headers, "ce_rejectionreason") ?? "rejected by the event store",
          traceparent: headerValue(headers, "traceparent"),
        });
      } catch (error) {
        // Not an event at all: nothing of ours; the event store's own dead letters have it.
        if (!(error instanceof MalformedRecordError)) throw error;
      }
    }
    if (ours.length === 0) return;
    const effects = await withTransaction(pool, async (client) => {
      const work = newWork(client, deps.settings);
      for (const r of ours) {
        const step = await lockRejectedStep(client, r.eventId);
        if (!step) continue;
        await markRejected(client, r.eventId, `${r.code}: ${r.reason}`);
        logger.info(
          { eventId: r.eventId, processId: step.processId, step: step.step, code: r.code },
          "step rejected",
        );
        const input = {
          kind: "rejected" as const,
          step: step.step,
          eventId: r.eventId,
          code: r.code,
          reason: r.reason,
        };
        await feed(work, step.processId, input, { eventId: r.eventId, traceparent: r.traceparent });
      }
      await flush(work);
      return work.effects;
    });
    countEffects(metrics, effects);
    deps.onWritten(effects);
  }

  return createBatchConsumer({
    kafka: deps.kafka,
    logger,
    metrics,
    groupId: deps.groupId,
    topic: deps.topic,
    partitionsConcurrently: 1,
    handle,
  });
}
