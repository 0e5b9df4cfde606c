export { PLATFORM_TOPICS, DEFAULT_KAFKA_PARTITIONS, kafkaPartitions } from "./topics.ts";
export type { PlatformTopic } from "./topics.ts";
export { loadTestEnv, testEnv, TEST_ENV_DEFAULTS } from "./test-env.ts";
export type { TestEnv } from "./test-env.ts";
export { checkInfrastructure } from "./health.ts";
export type { PartHealth } from "./health.ts";
export { ensurePlatformTopics } from "./kafka-cli.ts";
export { startMailSink } from "./mail-sink.ts";
export type { MailSink, MailSinkOptions, StoredMessage } from "./mail-sink.ts";
