import {
  commonSettings,
  offPathFetchLinger,
  int,
  readConfig,
  type ConfigOf,
  type ConfigSpec,
  type Env,
} from "@eventscope/platform";

export const processManagerSettings = {
  ...commonSettings,
  databaseSchema: { ...commonSettings.databaseSchema, default: "process_manager" },
  port: { env: "PORT", default: 8086, parse: int, description: "HTTP port of the process manager" },
  groupId: {
    env: "CONSUMER_GROUP",
    default: "process-manager",
    description: "Consumer group on events.committed (events.rejected is read by `<group>-rejected`)",
  },
  kafkaFetchLingerMs: offPathFetchLinger,
  partitionsConcurrently: {
    env: "PARTITIONS_CONSUMED_CONCURRENTLY",
    default: 3,
    parse: int,
    description: "Partitions of events.committed handled at once",
  },
  producerUrl: {
    env: "PRODUCER_URL",
    default: "http://127.0.0.1:8081",
    description: "The producer, through whose POST /api/events every command is sent",
  },
  apiKey: {
    env: "API_KEY",
    default: "eventscope-demo-key",
    description: "X-API-Key (write scope) sent with every command",
  },
  paymentTimeoutMs: {
    env: "PAYMENT_TIMEOUT_MS",
    default: 15 * 60_000,
    parse: int,
    description: "How long an order waits for its payment's outcome before it is compensated",
  },
  cartIdleMs: {
    env: "CART_IDLE_MS",
    default: 60 * 60_000,
    parse: int,
    description: "How long an open cart may go without a change before it expires (CartExpired)",
  },
  activationReminderMs: {
    env: "ACTIVATION_REMINDER_MS",
    default: 24 * 60 * 60_000,
    parse: int,
    description: "How long a registered customer has to confirm before a reminder is sent",
  },
  lowStockThreshold: {
    env: "LOW_STOCK_THRESHOLD",
    default: 5,
    parse: int,
    description:
      "Available units below which LowStockAlert is emitted, for a product without its own threshold",
  },
  timerIntervalMs: {
    env: "TIMER_INTERVAL_MS",
    default: 500,
    parse: int,
    description: "How often due timers are looked for",
  },
  dispatchIntervalMs: {
    env: "DISPATCH_INTERVAL_MS",
    default: 500,
    parse: int,
    description: "How often the outbox is looked at when nothing woke it",
  },
  sendTimeoutMs: {
    env: "SEND_TIMEOUT_MS",
    default: 5000,
    parse: int,
    description: "Longest wait for the producer's answer to one command",
  },
  retryBaseMs: {
    env: "RETRY_BASE_MS",
    default: 250,
    parse: int,
    description: "First retry delay of a command",
  },
  retryMaxMs: { env: "RETRY_MAX_MS", default: 30_000, parse: int, description: "Longest retry delay" },
  poolSize: { env: "PG_POOL_SIZE", default: 10, parse: int, description: "PostgreSQL connections" },
} satisfies ConfigSpec;

export type ProcessManagerConfig = ConfigOf<typeof processManagerSettings>;

export const readProcessManagerConfig = (
  env: Env = process.env,
  overrides: Partial<ProcessManagerConfig> = {},
) => readConfig(processManagerSettings, env, overrides);
