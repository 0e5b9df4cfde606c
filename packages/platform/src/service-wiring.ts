// The pieces every service wires, in one order: telemetry, logs, metrics, the Kafka client and the
// publisher; for a consuming service also its database (with the platform's tables), its dead
// letters and the lag monitor of its groups. `run` then connects in the background, listens, and on
// a signal stops the service's own pieces before the platform's. A main.ts keeps what is its own.
import type { Server } from "node:http";
import type { Tracer } from "@opentelemetry/api";
import { createDeadLetters, type DeadLetters } from "./dead-letters.ts";
import { createKafka, createPublisher, type Publisher } from "./kafka.ts";
import type { Kafka } from "./kafka/types.ts";
import { createLagMonitor, type LagMonitor } from "./lag-monitor.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createPool, openDatabase, type PlatformTable, type Pool } from "./postgres.ts";
import { keepConnecting, serve } from "./service.ts";
import { startTelemetry, type Telemetry } from "./telemetry.ts";
import { topicNames, type TopicNames } from "./topics.ts";

/** The settings the wiring reads (every service's configuration has them: commonSettings). */
export interface ServiceSettings {
  logLevel: string;
  logFormat: string;
  kafkaBrokers: string[];
  topicPrefix: string;
  port: number;
  host: string;
}

export interface ConsumingServiceSettings extends ServiceSettings {
  databaseUrl: string;
  databaseSchema: string;
  poolSize: number;
  lagSampleIntervalMs: number;
  lagWindowSamples: number;
  lagStuckAfterMs: number;
}

export interface ServiceParts {
  service: string;
  telemetry: Telemetry;
  tracer: Tracer;
  logger: Logger;
  metrics: Metrics;
  topics: TopicNames;
  kafka: Kafka;
  publisher: Publisher;
  /**
   * Runs `refresh` now and then every `ms` until the service stops: gauges counted on a timer
   * rather than per scrape, so that Prometheus never drives database load. A failed count waits
   * for the next.
   */
  every(ms: number, refresh: () => Promise<void>): Promise<void>;
  /**
   * Connects in the background (the publisher, then `connect`), so that `/health/live` answers at
   * once and readiness waits for the broker; listens; on SIGTERM/SIGINT drains the server, runs
   * `stop` (the service's own pieces), then releases the platform's.
   */
  run(options: { server: Server; connect?: () => Promise<void>; stop?: () => Promise<void> }): Promise<void>;
}

export interface ConsumingServiceParts extends ServiceParts {
  pool: Pool;
  /**
   * A small pool for the consumer's path alone (the committed-event consumers of every service),
   * whose statements are key lookups and appends: each is planned once per connection, on the
   * indexes (`genericPlans`). On the shared pool PostgreSQL kept a custom plan for a lookup by
   * `= ANY($1)` (the array's length changes the estimate), so it planned it on every batch:
   * planning was a third of the statements' time at 200 events/s (the store's redelivery lookup
   * 0.37 ms to plan, 0.10 ms to run). Reads over HTTP stay on `pool`, planned with their parameters.
   */
  consumerPool: Pool;
  deadLetters: DeadLetters;
  lag: LagMonitor;
}

/** A group the service consumes a topic with; `parks: false` when it parks nothing it reads. */
export interface ConsumedTopic {
  group: string;
  topic: keyof TopicNames;
  parks?: boolean;
}

/** A service that publishes and serves HTTP (the producer). */
export async function startService(
  service: string,
  config: ServiceSettings,
  options: { publishTimeoutMs?: number; publishLingerMs?: number } = {},
): Promise<ServiceParts> {
  return (await wire(service, config, options)).parts;
}

/** A service that consumes topics into its own schema, parks what it cannot process and reports lag. */
export async function startConsumingService(
  service: string,
  config: ConsumingServiceSettings,
  options: {
    /** The folder of the service's own migrations. */
    migrations: string;
    /** The platform's tables it uses besides dead_letters. */
    platform?: Exclude<PlatformTable, "dead_letters">[];
    consumes: ConsumedTopic[];
    publishTimeoutMs?: number;
  },
): Promise<ConsumingServiceParts> {
  const { parts, hooks } = await wire(service, config, options);
  const { logger, metrics, kafka, publisher, topics } = parts;
  const pool = await openDatabase({
    service,
    connectionString: config.databaseUrl,
    schema: config.databaseSchema,
    poolSize: config.poolSize,
    migrations: options.migrations,
    platform: ["dead_letters", ...(options.platform ?? [])],
    onApplied: (applied) => logger.info({ applied }, "migrations applied"),
  });
  // Known error series start at 0 (Prometheus: "avoid missing metrics"), so the first is a rate.
  for (const { group, topic, parks } of options.consumes) {
    if (parks === false) continue;
    metrics.consumeErrors.inc({ topic: topics[topic], group, reason: "malformed" }, 0);
    metrics.deadLetters.inc({ topic: topics[topic], reason: "malformed" }, 0);
  }
  const consumerPool = createPool({
    connectionString: config.databaseUrl,
    schema: config.databaseSchema,
    max: 4,
    applicationName: `${service}-consumer`,
    genericPlans: true,
  });
  const deadLetters = createDeadLetters({ pool, publisher, metrics, topic: topics.deadLetter });
  await deadLetters.refreshGauge();
  const lag = createLagMonitor({
    kafka,
    metrics,
    logger,
    groups: options.consumes.map(({ group, topic }) => ({ group, topic: topics[topic] })),
    intervalMs: config.lagSampleIntervalMs,
    windowSize: config.lagWindowSamples,
    stuckAfterMs: config.lagStuckAfterMs,
  });
  hooks.connected.push(() => lag.start());
  hooks.stopping.push(() => lag.stop());
  hooks.released.push(() => pool.end());
  hooks.released.push(() => consumerPool.end());
  return { ...parts, pool, consumerPool, deadLetters, lag };
}

/** What a kind of service adds around the service's own start and stop. */
interface Hooks {
  /** Once Kafka is reachable and the service's own `connect` ran. */
  connected: (() => void)[];
  /** Before the service's own `stop`. */
  stopping: (() => Promise<void>)[];
  /** After it, once the publisher is disconnected. */
  released: (() => Promise<void>)[];
}

async function wire(
  service: string,
  config: ServiceSettings,
  options: { publishTimeoutMs?: number; publishLingerMs?: number },
): Promise<{ parts: ServiceParts; hooks: Hooks }> {
  const telemetry = startTelemetry(service);
  const logger = createLogger({ service, level: config.logLevel, format: config.logFormat });
  const metrics = createMetrics(service);
  const topics = topicNames(config.topicPrefix);
  const kafka = await createKafka({ brokers: config.kafkaBrokers, clientId: service, logger });
  const publisher = createPublisher(kafka, {
    metrics,
    logger,
    ...(options.publishTimeoutMs === undefined ? {} : { timeoutMs: options.publishTimeoutMs }),
    ...(options.publishLingerMs === undefined ? {} : { lingerMs: options.publishLingerMs }),
  });
  const timers: NodeJS.Timeout[] = [];
  const hooks: Hooks = { connected: [], stopping: [], released: [] };
  const parts: ServiceParts = {
    service,
    telemetry,
    tracer: telemetry.tracer,
    logger,
    metrics,
    topics,
    kafka,
    publisher,
    async every(ms, refresh) {
      timers.push(setInterval(() => void refresh().catch(() => {}), ms));
      await refresh();
    },
    async run({ server, connect, stop }) {
      keepConnecting(logger, "Kafka", async () => {
        await publisher.connect();
        await connect?.();
        for (const hook of hooks.connected) hook();
      });
      await serve({
        logger,
        server,
        port: config.port,
        host: config.host,
        stop: async () => {
          for (const timer of timers) clearInterval(timer);
          for (const hook of hooks.stopping) await hook();
          await stop?.();
          await publisher.disconnect();
          for (const hook of hooks.released) await hook();
          await telemetry.shutdown();
        },
      });
    },
  };
  return { parts, hooks };
}
