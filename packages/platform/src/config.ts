// Configuration precedence, spelled out once: explicit option, then environment variable, then
// default. Each service declares its settings in one place with `readConfig`.
import { EventscopeError } from "@eventscope/contracts";
import { parseApiKeys, type ApiKey } from "./api-keys.ts";
import { kafkaClientNames, type KafkaClientName } from "./kafka/types.ts";

export type Env = Record<string, string | undefined>;

export interface Setting<T> {
  env: string;
  default: T;
  description: string;
  parse?: (raw: string) => T;
}

export type ConfigSpec = Record<string, Setting<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** A setting that cannot be read: the service does not start. Never retriable. */
export class ConfigError extends EventscopeError {
  constructor(message: string) {
    super(message, { code: "CONFIG_INVALID" });
    this.name = "ConfigError";
  }
}

export const int = (raw: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new ConfigError(`expected an integer, got "${raw}"`);
  return value;
};

export const positiveInt = (raw: string): number => {
  const value = int(raw);
  if (value <= 0) throw new ConfigError(`expected a positive integer, got "${raw}"`);
  return value;
};

export const nonNegativeInt = (raw: string): number => {
  const value = int(raw);
  if (value < 0) throw new ConfigError(`expected an integer >= 0, got "${raw}"`);
  return value;
};

export const bool = (raw: string): boolean => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`expected a boolean, got "${raw}"`);
};

export const list = (raw: string): string[] =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

export function readConfig<S extends ConfigSpec>(
  spec: S,
  env: Env = process.env,
  overrides: Partial<ConfigOf<S>> = {},
): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(spec)) {
    if (key in overrides && overrides[key as keyof S] !== undefined) {
      out[key] = overrides[key as keyof S];
      continue;
    }
    const raw = env[setting.env];
    if (raw === undefined || raw === "") {
      out[key] = setting.default;
      continue;
    }
    try {
      out[key] = setting.parse ? setting.parse(raw) : raw;
    } catch (error) {
      throw new ConfigError(`${setting.env}: ${(error as Error).message}`);
    }
  }
  return out as ConfigOf<S>;
}

/** Settings every service shares: where the infrastructure is and how to log. */
export const commonSettings = {
  kafkaBrokers: {
    env: "KAFKA_BROKERS",
    default: ["127.0.0.1:9092"],
    parse: list,
    description: "Kafka bootstrap servers, comma-separated",
  },
  kafkaClient: {
    env: "KAFKA_CLIENT",
    default: "platformatic" satisfies KafkaClientName,
    parse: (raw: string): KafkaClientName => {
      if ((kafkaClientNames as readonly string[]).includes(raw)) return raw as KafkaClientName;
      throw new ConfigError(`expected one of ${kafkaClientNames.join(", ")}, got "${raw}"`);
    },
    description:
      "Kafka client library: platformatic (@platformatic/kafka, lower produce-to-consume latency and higher produce throughput in bench/README.md) or kafkajs; anything else is refused at start",
  },
  databaseUrl: {
    env: "DATABASE_URL",
    default: "postgres://eventscope:eventscope@127.0.0.1:55432/eventscope",
    description: "PostgreSQL connection string",
  },
  databaseSchema: {
    env: "DATABASE_SCHEMA",
    default: "eventscope",
    description: "PostgreSQL schema that holds this service's tables (each service has its own)",
  },
  topicPrefix: {
    env: "TOPIC_PREFIX",
    default: "",
    description: "Prefix of every topic name (side-by-side stacks and tests)",
  },
  logLevel: { env: "LOG_LEVEL", default: "info", description: "pino log level" },
  logFormat: { env: "LOG_FORMAT", default: "json", description: "json, or pretty for development" },
  host: { env: "HOST", default: "127.0.0.1", description: "HTTP listen address" },
  apiKeys: {
    env: "API_KEYS",
    default: [] as ApiKey[],
    parse: parseApiKeys,
    description:
      "Accepted X-API-Key values with their scopes, `key:write+read,adminkey:admin`; a key without scopes holds every scope (read, write, admin); empty means every route is open",
  },
  httpRequestTimeoutMs: {
    env: "HTTP_REQUEST_TIMEOUT_MS",
    default: 30_000,
    parse: int,
    description: "Longest time to receive a whole request, headers and body (408 after it)",
  },
  httpHeadersTimeoutMs: {
    env: "HTTP_HEADERS_TIMEOUT_MS",
    default: 10_000,
    parse: int,
    description: "Longest time to receive a request's headers (408 after it)",
  },
  httpKeepAliveTimeoutMs: {
    env: "HTTP_KEEP_ALIVE_TIMEOUT_MS",
    default: 65_000,
    parse: int,
    description: "How long an idle keep-alive connection is kept open",
  },
  httpMaxConnections: {
    env: "HTTP_MAX_CONNECTIONS",
    default: 1024,
    parse: int,
    description: "Most open HTTP connections; connections beyond it are closed at once",
  },
  jsonMaxDepth: {
    env: "JSON_MAX_DEPTH",
    default: 64,
    parse: int,
    description: "Deepest nesting of a JSON body (400 beyond it)",
  },
  rateLimitWritesPerMinute: {
    env: "RATE_LIMIT_WRITES_PER_MINUTE",
    default: 0,
    parse: int,
    description:
      "Most writes (POST, PUT, PATCH, DELETE) one API key may make per minute on a service, by client address when API_KEYS is empty; beyond it a 429 problem with Retry-After; 0 is no limit",
  },
  kafkaCommitIntervalMs: {
    env: "KAFKA_COMMIT_INTERVAL_MS",
    default: 200,
    parse: nonNegativeInt,
    description:
      "How often a consumer commits the offsets it has processed, all its partitions in one request (@platformatic/kafka; kafkajs commits each chunk). A rebalance redelivers at most this long's worth per partition, which the idempotent consumers skip; 0 commits each chunk before the next starts",
  },
  kafkaFetchLingerMs: {
    env: "KAFKA_FETCH_LINGER_MS",
    default: 20,
    parse: nonNegativeInt,
    description:
      "How long a consumer waits after a fetch that brought records before it fetches again, so that one fetch (and one batch, one transaction) gathers what arrived meanwhile (@platformatic/kafka; kafkajs fetches again at once). Adds up to this much latency per hop under load; an idle consumer still gets the first record at once",
  },
  lagSampleIntervalMs: {
    env: "LAG_SAMPLE_INTERVAL_MS",
    default: 1000,
    parse: positiveInt,
    description: "How often a consuming service samples its groups' lag (GET /lag, the lag gauges)",
  },
  lagWindowSamples: {
    env: "LAG_WINDOW_SAMPLES",
    default: 10,
    parse: positiveInt,
    description: "Samples in the window the lag verdict (OK, WARNING, STALL, STOP) is judged over",
  },
  lagStuckAfterMs: {
    env: "LAG_STUCK_AFTER_MS",
    default: 60_000,
    parse: positiveInt,
    description:
      "A partition with lag whose committed offset has not moved for this long is stuck: it fails /health/ready and is exported as kafka_consumer_partition_stuck_seconds",
  },
  kafkaSpanLinks: {
    env: "OTEL_KAFKA_SPAN_LINKS",
    default: false,
    parse: bool,
    description:
      "true: a consumed event starts a new trace linked to the producer's; false: it continues the producer's trace (one trace per event)",
  },
} satisfies ConfigSpec;

/**
 * KAFKA_FETCH_LINGER_MS for a consumer off the path an event takes to its read model, which
 * dispatches on its own timer anyway (the notification service, the process manager): a longer
 * linger gathers more events per fetch and transaction.
 */
export const offPathFetchLinger = { ...commonSettings.kafkaFetchLingerMs, default: 100 };

export const settingsTable = (spec: ConfigSpec): string =>
  Object.values(spec)
    .map((s) => `| \`${s.env}\` | \`${JSON.stringify(s.default)}\` | ${s.description} |`)
    .join("\n");
