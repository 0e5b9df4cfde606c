import {
  commonSettings,
  offPathFetchLinger,
  ConfigError,
  int,
  list,
  readConfig,
  type ConfigOf,
  type ConfigSpec,
  type Env,
} from "@eventscope/platform";
import { parseSecretKey } from "./secret-box.ts";
import { parseAllowList } from "./webhook-policy.ts";

/**
 * The demo configuration's key for sealing webhook secrets: published here, so secrets sealed
 * with it are protected from nobody. Set WEBHOOK_SECRET_KEY to your own 32 bytes
 * (`openssl rand -hex 32`) anywhere else.
 */
export const demoSecretKey = "6576656e7473636f70652d64656d6f2d776562686f6f6b2d7365637265742d31";

// Kept as given (the settings table shows them so) and checked here, so a bad value stops
// the service at start with the variable's name.
const checked =
  (check: (raw: string) => unknown) =>
  (raw: string): string => {
    try {
      check(raw);
      return raw;
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  };

export const notificationSettings = {
  ...commonSettings,
  databaseSchema: { ...commonSettings.databaseSchema, default: "notification" },
  port: { env: "PORT", default: 8084, parse: int, description: "HTTP port of the notification service" },
  groupId: {
    env: "CONSUMER_GROUP",
    default: "notification",
    description: "Consumer group on events.committed",
  },
  kafkaFetchLingerMs: offPathFetchLinger,
  partitionsConcurrently: {
    env: "PARTITIONS_CONSUMED_CONCURRENTLY",
    default: 3,
    parse: int,
    description: "Partitions of events.committed processed at once",
  },
  smtpHost: { env: "SMTP_HOST", default: "127.0.0.1", description: "SMTP server for e-mail" },
  smtpPort: { env: "SMTP_PORT", default: 1025, parse: int, description: "SMTP port (plain, no auth)" },
  smtpFrom: {
    env: "SMTP_FROM",
    default: "notifications@eventscope.local",
    description: "From address of every e-mail",
  },
  emailToDefault: {
    env: "EMAIL_TO_DEFAULT",
    default: "customers@eventscope.local",
    description: "Where e-mails go when the event names no address",
  },
  projectionUrl: {
    env: "PROJECTION_URL",
    default: "http://127.0.0.1:8083",
    description: "The read side, where a customer's e-mail, phone and device are looked up at send time",
  },
  projectionApiKey: {
    env: "PROJECTION_API_KEY",
    default: "",
    description:
      "Key (read scope) for the customer look-ups; empty means the first key of API_KEYS that holds read",
  },
  smsProviderUrl: {
    env: "SMS_PROVIDER_URL",
    default: "http://127.0.0.1:8025/api/v1/sms",
    description: "SMS provider: POST JSON {to, text, eventId, rule}, any 2xx is success",
  },
  pushProviderUrl: {
    env: "PUSH_PROVIDER_URL",
    default: "http://127.0.0.1:8025/api/v1/push",
    description: "Push provider: POST JSON {to, text, eventId, rule}, any 2xx is success",
  },
  maxAttempts: {
    env: "MAX_ATTEMPTS",
    default: 5,
    parse: int,
    description: "Attempts per delivery before it is marked dead",
  },
  retryBaseMs: {
    env: "RETRY_BASE_MS",
    default: 500,
    parse: int,
    description: "First retry delay bound; doubles per attempt, with full jitter",
  },
  retryMaxMs: { env: "RETRY_MAX_MS", default: 60_000, parse: int, description: "Longest retry delay" },
  dispatchIntervalMs: {
    env: "DISPATCH_INTERVAL_MS",
    default: 200,
    parse: int,
    description: "How often the dispatcher looks for due deliveries (it is also woken by new ones)",
  },
  dispatchConcurrency: {
    env: "DISPATCH_CONCURRENCY",
    default: 8,
    parse: int,
    description: "Deliveries sent at once per channel (e-mail, SMS, push each) by this instance",
  },
  webhookConcurrency: {
    env: "WEBHOOK_CONCURRENCY",
    default: 2,
    parse: int,
    description: "Deliveries sent at once to each webhook subscription (each has its own slots)",
  },
  webhookAllowedTargets: {
    env: "WEBHOOK_ALLOWED_TARGETS",
    default: "",
    parse: checked(parseAllowList),
    description:
      "CIDRs (127.0.0.0/8, ::1/128) or host:port a webhook may reach although loopback, private, " +
      "link-local, multicast, CGNAT, reserved or metadata; empty: public addresses only",
  },
  webhookDnsServers: {
    env: "WEBHOOK_DNS_SERVERS",
    default: [] as string[],
    parse: list,
    description: "DNS servers (ip or ip:port) for webhook hosts; empty: the system resolver",
  },
  webhookSecretKey: {
    env: "WEBHOOK_SECRET_KEY",
    default: demoSecretKey,
    parse: checked(parseSecretKey),
    description:
      "AES-256-GCM key (64 hex digits or base64 of 32 bytes) that seals webhook secrets at rest; " +
      "the default is the published demo key",
  },
  maxResponseBytes: {
    env: "WEBHOOK_MAX_RESPONSE_BYTES",
    default: 65_536,
    parse: int,
    description: "At most this much of a webhook's or provider's answer is read; the rest is left unread",
  },
  failureBudget: {
    env: "WEBHOOK_FAILURE_BUDGET",
    default: 20,
    parse: int,
    description: "Consecutive failed attempts after which a webhook subscription is switched off...",
  },
  failureWindowMs: {
    env: "WEBHOOK_FAILURE_WINDOW_MS",
    default: 600_000,
    parse: int,
    description: "...provided they span at least this long (a short outage never switches one off)",
  },
  webhookTimeoutMs: {
    env: "WEBHOOK_TIMEOUT_MS",
    default: 5000,
    parse: int,
    description: "Timeout of one webhook, SMS, push or SMTP attempt; a timeout is a failed attempt",
  },
  leaseMs: {
    env: "DELIVERY_LEASE_MS",
    default: 30_000,
    parse: int,
    description: "A claimed delivery not finished within this time (a crash) is sent again",
  },
  poolSize: { env: "PG_POOL_SIZE", default: 10, parse: int, description: "PostgreSQL connections" },
} satisfies ConfigSpec;

export type NotificationConfig = ConfigOf<typeof notificationSettings>;

export function readNotificationConfig(
  env: Env = process.env,
  overrides: Partial<NotificationConfig> = {},
): NotificationConfig {
  const config = readConfig(notificationSettings, env, overrides);
  // A lease shorter than one attempt would hand a delivery to a second sender while the first
  // is still waiting for its answer.
  return { ...config, leaseMs: Math.max(config.leaseMs, config.webhookTimeoutMs * 2) };
}
