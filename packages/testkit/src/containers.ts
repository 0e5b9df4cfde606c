// Kafka and PostgreSQL as containers for the integration tests, where a container engine answers
// (TEST_INFRA, see test-infra.ts): the images docker-compose.yml runs, configured as the native
// parts are (one KRaft node with replication factor 1, the eventscope database and role), and the
// platform topics created as `infra/native.sh up` creates them. Each service applies its own
// migrations at start, as it does against the native PostgreSQL.
import kafkajs from "kafkajs";

export const KAFKA_IMAGE = "apache/kafka:4.1.2";
export const POSTGRES_IMAGE = "postgres:15";

/** The listener clients on the host use; the broker advertises it at the mapped port. */
export const KAFKA_HOST_PORT = 19092;
const START_SCRIPT = "/tmp/eventscope-kafka-start.sh";
const WAITING = "waiting for the start script";

/** One combined broker and controller, the settings of docker-compose.yml's kafka service. */
export function kafkaEnvironment(partitions: number): Record<string, string> {
  return {
    CLUSTER_ID: "0OlUEDgepbWiNUi9REx5sg",
    KAFKA_NODE_ID: "1",
    KAFKA_PROCESS_ROLES: "broker,controller",
    KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
    KAFKA_LISTENERS: `INTERNAL://:9092,HOST://:${KAFKA_HOST_PORT},CONTROLLER://:9093`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "INTERNAL:PLAINTEXT,HOST:PLAINTEXT,CONTROLLER:PLAINTEXT",
    KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
    KAFKA_INTER_BROKER_LISTENER_NAME: "INTERNAL",
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
    KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: "10",
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: "1",
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: "1",
    KAFKA_DEFAULT_REPLICATION_FACTOR: "1",
    KAFKA_MIN_INSYNC_REPLICAS: "1",
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
    KAFKA_NUM_PARTITIONS: String(partitions),
    KAFKA_HEAP_OPTS: "-Xms128m -Xmx512m",
  };
}

/**
 * The broker must advertise the host's address and the port the engine mapped, known only once
 * the container runs: the container waits for this script, which the harness copies in.
 */
export const kafkaStartScript = (host: string, mappedPort: number): string =>
  [
    "#!/bin/bash",
    `export KAFKA_ADVERTISED_LISTENERS=INTERNAL://localhost:9092,HOST://${host}:${mappedPort}`,
    "exec /etc/kafka/docker/run",
    "",
  ].join("\n");

/** The container's command until then. */
export const kafkaWaitCommand = [
  "-c",
  `echo '${WAITING}'; while [ ! -x ${START_SCRIPT} ]; do sleep 0.1; done; exec ${START_SCRIPT}`,
];

/** PostgreSQL as docker-compose.yml runs it. */
export const postgresSettings = {
  database: "eventscope",
  username: "eventscope",
  password: "eventscope",
  command: [
    "postgres",
    "-c",
    "shared_buffers=128MB",
    "-c",
    "max_connections=200",
    "-c",
    "fsync=on",
    "-c",
    "shared_preload_libraries=pg_stat_statements",
    "-c",
    "pg_stat_statements.track=top",
    "-c",
    "jit=off",
  ],
} as const;

export interface RunningContainers {
  kafkaBrokers: string[];
  databaseUrl: string;
  stop(): Promise<void>;
}

async function waitForBroker(brokers: string[], timeoutMs = 120_000): Promise<kafkajs.Admin> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const admin = new kafkajs.Kafka({
      clientId: "eventscope-tests",
      brokers,
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return admin;
    } catch (error) {
      last = error;
      await admin.disconnect().catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`the Kafka container did not answer within ${timeoutMs} ms: ${(last as Error)?.message}`);
}

/** Starts both containers, waits until they answer, creates the platform topics. */
export async function startContainers(env: NodeJS.ProcessEnv = process.env): Promise<RunningContainers> {
  const { GenericContainer, Wait } = await import("testcontainers");
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const { ensurePlatformTopics, kafkaPartitions } = await import("@eventscope/infra");
  const partitions = kafkaPartitions(env);
  const [kafka, postgres] = await Promise.all([
    new GenericContainer(KAFKA_IMAGE)
      .withEnvironment(kafkaEnvironment(partitions))
      .withExposedPorts(KAFKA_HOST_PORT)
      .withEntrypoint(["sh"])
      .withCommand(kafkaWaitCommand)
      .withWaitStrategy(Wait.forLogMessage(WAITING))
      .start(),
    new PostgreSqlContainer(POSTGRES_IMAGE)
      .withDatabase(postgresSettings.database)
      .withUsername(postgresSettings.username)
      .withPassword(postgresSettings.password)
      .withCommand([...postgresSettings.command])
      .start(),
  ]);
  const stop = async () => {
    await Promise.allSettled([kafka.stop(), postgres.stop()]);
  };
  try {
    const host = kafka.getHost();
    const port = kafka.getMappedPort(KAFKA_HOST_PORT);
    await kafka.copyContentToContainer([
      { content: kafkaStartScript(host, port), target: START_SCRIPT, mode: 0o755 },
    ]);
    const brokers = [`${host}:${port}`];
    const admin = await waitForBroker(brokers);
    try {
      await ensurePlatformTopics(admin, partitions);
    } finally {
      await admin.disconnect();
    }
    return { kafkaBrokers: brokers, databaseUrl: postgres.getConnectionUri(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
