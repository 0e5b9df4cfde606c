import {
  commonSettings,
  int,
  readConfig,
  type ConfigOf,
  type ConfigSpec,
  type Env,
} from "@eventscope/platform";

export const projectionSettings = {
  ...commonSettings,
  databaseSchema: { ...commonSettings.databaseSchema, default: "projection" },
  port: { env: "PORT", default: 8083, parse: int, description: "HTTP port of the projection service" },
  groupId: {
    env: "CONSUMER_GROUP",
    default: "projection",
    description: "Consumer group on events.committed",
  },
  partitionsConcurrently: {
    env: "PARTITIONS_CONSUMED_CONCURRENTLY",
    default: 3,
    parse: int,
    description: "Partitions of events.committed applied at once",
  },
  eventStoreUrl: {
    env: "EVENT_STORE_URL",
    default: "http://127.0.0.1:8082",
    description: "The event store, whose global feed rebuilds read",
  },
  eventStoreApiKey: {
    env: "EVENT_STORE_API_KEY",
    default: "",
    description:
      "Key (read scope) sent to the event store's feed by rebuilds; empty means the first key of API_KEYS that holds read",
  },
  readWaitMaxMs: {
    env: "READ_WAIT_MAX_MS",
    default: 2000,
    parse: int,
    description:
      "Longest a read with afterEventId or minPosition waits for the read models to apply that write (waitMs asks for less)",
  },
  poolSize: { env: "PG_POOL_SIZE", default: 10, parse: int, description: "PostgreSQL connections" },
} satisfies ConfigSpec;

export type ProjectionConfig = ConfigOf<typeof projectionSettings>;

export const readProjectionConfig = (env: Env = process.env, overrides: Partial<ProjectionConfig> = {}) =>
  readConfig(projectionSettings, env, overrides);
