import {
  commonSettings,
  int,
  parseSecretKey,
  readConfig,
  type ConfigOf,
  type ConfigSpec,
  type Env,
} from "@eventscope/platform";
import { demoPiiMasterKey } from "./subject-keys.ts";

// Kept as given and checked here, so a bad value stops the service at start with the variable's name.
const checkedKey = (raw: string): string => {
  parseSecretKey(raw);
  return raw;
};

export const eventStoreSettings = {
  ...commonSettings,
  databaseSchema: { ...commonSettings.databaseSchema, default: "event_store" },
  port: { env: "PORT", default: 8082, parse: int, description: "HTTP port of the event store" },
  groupId: { env: "CONSUMER_GROUP", default: "event-store", description: "Consumer group on events.ingest" },
  snapshotEvery: {
    env: "SNAPSHOT_EVERY",
    default: 100,
    parse: int,
    description: "Write an aggregate snapshot every N events of a stream (0 disables)",
  },
  maxAppendBatch: {
    env: "MAX_APPEND_BATCH",
    default: 1000,
    parse: int,
    description: "Most events appended in one PostgreSQL transaction",
  },
  partitionsConcurrently: {
    env: "PARTITIONS_CONSUMED_CONCURRENTLY",
    default: 3,
    parse: int,
    description: "Partitions of events.ingest processed at once",
  },
  stateCacheSize: {
    env: "STATE_CACHE_SIZE",
    default: 100_000,
    parse: int,
    description: "Aggregate states kept in memory between batches",
  },
  poolSize: { env: "PG_POOL_SIZE", default: 10, parse: int, description: "PostgreSQL connections" },
  publishTimeoutMs: {
    env: "PUBLISH_TIMEOUT_MS",
    default: 10_000,
    parse: int,
    description: "Longest wait for Kafka to acknowledge committed events before the batch is retried",
  },
  piiMasterKey: {
    env: "PII_MASTER_KEY",
    default: demoPiiMasterKey,
    parse: checkedKey,
    description:
      "AES-256-GCM master key (64 hex digits or base64 of 32 bytes) that wraps each data subject's key; " +
      "the default is the published demo key",
  },
  fault: {
    env: "EVENT_STORE_FAULT",
    default: "",
    description:
      "Test hook: crash-after-append[:N] kills the process (SIGKILL) after the N-th append commits, before it is published",
  },
} satisfies ConfigSpec;

export type EventStoreConfig = ConfigOf<typeof eventStoreSettings>;

export const readEventStoreConfig = (env: Env = process.env, overrides: Partial<EventStoreConfig> = {}) =>
  readConfig(eventStoreSettings, env, overrides);
