import {
  commonSettings,
  int,
  readConfig,
  type ConfigOf,
  type ConfigSpec,
  type Env,
} from "@eventscope/platform";

export const producerSettings = {
  ...commonSettings,
  port: { env: "PORT", default: 8081, parse: int, description: "HTTP port of the producer" },
  bodyLimitBytes: {
    env: "BODY_LIMIT_BYTES",
    default: 256 * 1024,
    parse: int,
    description: "Largest request body accepted (413 above it)",
  },
  maxBatchEvents: {
    env: "MAX_BATCH_EVENTS",
    default: 500,
    parse: int,
    description: "Most events in one batch request",
  },
  publishTimeoutMs: {
    env: "PUBLISH_TIMEOUT_MS",
    default: 3000,
    parse: int,
    description: "Longest wait for the broker's acknowledgement before answering 503",
  },
  publishLingerMs: {
    env: "PUBLISH_LINGER_MS",
    default: 0,
    parse: int,
    description:
      "How long an event that finds no produce request in flight waits for others to share one (0: sent at once)",
  },
  eventStoreUrl: {
    env: "EVENT_STORE_URL",
    default: "http://127.0.0.1:8082",
    description: "Base URL of the event store, used in statusUrl",
  },
  eventStoreInternalUrl: {
    env: "EVENT_STORE_INTERNAL_URL",
    default: "",
    description:
      "Base URL at which the producer reaches the event store to look up ids clients chose; empty means EVENT_STORE_URL",
  },
  eventStoreApiKey: {
    env: "EVENT_STORE_API_KEY",
    default: "",
    description:
      "Key (read scope) the producer sends to the event store; empty means the first key of API_KEYS that holds read",
  },
  idempotencyLookupTimeoutMs: {
    env: "IDEMPOTENCY_LOOKUP_TIMEOUT_MS",
    default: 1000,
    parse: int,
    description:
      "Longest wait for the event store to say whether a client-chosen id is stored (0: ask only the producer's cache)",
  },
  source: {
    env: "EVENT_SOURCE",
    default: "eventscope/producer",
    description: "metadata.source of stamped events",
  },
} satisfies ConfigSpec;

export type ProducerConfig = ConfigOf<typeof producerSettings>;

export const readProducerConfig = (env: Env = process.env, overrides: Partial<ProducerConfig> = {}) =>
  readConfig(producerSettings, env, overrides);
