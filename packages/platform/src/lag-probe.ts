import type { Kafka, LagProbe, LagProbeOptions } from "./kafka/types.ts";

export type { LagProbe, TimestampAt } from "./kafka/types.ts";

/**
 * Reads the timestamp of the message at a given offset: how the lag monitor learns the age of
 * the oldest unconsumed message of a partition the consumer is not working on (a stopped or
 * stalled group, or the moment between two batches). Each client reads it its own way: kafkajs
 * through a paused probe consumer of its own group (kafka/kafkajs-probe.ts), @platformatic/kafka
 * with one fetch request at the offset (kafka/platformatic-probe.ts).
 */
export function createLagProbe(options: LagProbeOptions & { kafka: Kafka }): LagProbe {
  const { kafka, ...rest } = options;
  return kafka.lagProbe(rest);
}
