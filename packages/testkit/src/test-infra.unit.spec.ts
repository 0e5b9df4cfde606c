import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  KAFKA_HOST_PORT,
  KAFKA_IMAGE,
  POSTGRES_IMAGE,
  kafkaEnvironment,
  kafkaStartScript,
  kafkaWaitCommand,
  postgresSettings,
  type RunningContainers,
} from "./containers.ts";
import { chooseTestInfra, containerEngineAnswers, parseTestInfra, prepareTestInfra } from "./test-infra.ts";
import { repoRoot } from "./services.ts";

const noEngine = () => Promise.resolve(false);
const engine = () => Promise.resolve(true);

describe("TEST_INFRA", () => {
  it("is auto unless set, and refuses anything but auto, native and testcontainers", () => {
    expect(parseTestInfra(undefined)).toBe("auto");
    expect(parseTestInfra("")).toBe("auto");
    expect(parseTestInfra("native")).toBe("native");
    expect(parseTestInfra("testcontainers")).toBe("testcontainers");
    expect(() => parseTestInfra("docker")).toThrow(
      /^TEST_INFRA: expected one of auto, native, testcontainers, got "docker"/,
    );
  });

  it("auto takes the containers when an engine answers, the native processes when none does", async () => {
    expect(await chooseTestInfra("auto", engine)).toBe("testcontainers");
    expect(await chooseTestInfra("auto", noEngine)).toBe("native");
    expect(await chooseTestInfra("native", engine)).toBe("native");
  });

  it("testcontainers without an engine is a clear error, not a silent fall-back", async () => {
    await expect(chooseTestInfra("testcontainers", noEngine)).rejects.toThrow(
      /TEST_INFRA=testcontainers, but no container engine answers/,
    );
    const env = { TEST_INFRA: "testcontainers" };
    await expect(prepareTestInfra(env, { engineAnswers: noEngine })).rejects.toThrow(/no container engine/);
    expect(env).toEqual({ TEST_INFRA: "testcontainers" });
  });

  it("with no engine on this machine, auto leaves KAFKA_BROKERS and DATABASE_URL as they are", async () => {
    // No engine runs on the machines this suite was written on; where one does, auto uses it.
    const answers = await containerEngineAnswers();
    const env: NodeJS.ProcessEnv = { KAFKA_BROKERS: "127.0.0.1:9092" };
    let started = false;
    const prepared = await prepareTestInfra(env, {
      engineAnswers: () => Promise.resolve(answers),
      start: () => {
        started = true;
        return Promise.resolve({ kafkaBrokers: ["h:1"], databaseUrl: "postgres://c", stop: async () => {} });
      },
    });
    expect(prepared.infra).toBe(answers ? "testcontainers" : "native");
    expect(started).toBe(answers);
  });

  it("points the run at the containers it started, and stops them at teardown", async () => {
    let stopped = false;
    const containers: RunningContainers = {
      kafkaBrokers: ["localhost:32771"],
      databaseUrl: "postgres://eventscope:eventscope@localhost:32772/eventscope",
      stop: () => {
        stopped = true;
        return Promise.resolve();
      },
    };
    const env: NodeJS.ProcessEnv = { TEST_INFRA: "auto" };
    const prepared = await prepareTestInfra(env, {
      engineAnswers: engine,
      start: () => Promise.resolve(containers),
    });
    expect(prepared.infra).toBe("testcontainers");
    expect(env.KAFKA_BROKERS).toBe("localhost:32771");
    expect(env.DATABASE_URL).toBe(containers.databaseUrl);
    await prepared.teardown();
    expect(stopped).toBe(true);
  });
});

describe("the containers", () => {
  const compose = parse(readFileSync(join(repoRoot, "docker-compose.yml"), "utf8")) as {
    services: Record<string, { image: string; environment?: Record<string, unknown>; command?: string[] }>;
  };

  it("run the images docker-compose.yml runs", () => {
    expect(KAFKA_IMAGE).toBe(compose.services.kafka!.image);
    expect(POSTGRES_IMAGE).toBe(compose.services.postgres!.image);
    expect([...postgresSettings.command]).toEqual(compose.services.postgres!.command);
    expect(postgresSettings).toMatchObject({
      database: compose.services.postgres!.environment!.POSTGRES_DB,
      username: compose.services.postgres!.environment!.POSTGRES_USER,
      password: compose.services.postgres!.environment!.POSTGRES_PASSWORD,
    });
  });

  it("configure one KRaft node as compose does, with the partitions asked for", () => {
    const env = kafkaEnvironment(3);
    const composed = compose.services.kafka!.environment!;
    for (const key of [
      "CLUSTER_ID",
      "KAFKA_PROCESS_ROLES",
      "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
      "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
      "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
      "KAFKA_DEFAULT_REPLICATION_FACTOR",
      "KAFKA_MIN_INSYNC_REPLICAS",
      "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS",
      "KAFKA_AUTO_CREATE_TOPICS_ENABLE",
    ])
      expect(env[key], key).toBe(String(composed[key]));
    expect(env.KAFKA_NUM_PARTITIONS).toBe("3");
    expect(env.KAFKA_LISTENERS).toContain(`HOST://:${KAFKA_HOST_PORT}`);
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBeUndefined();
  });

  it("advertise the host's mapped port only once it is known", () => {
    const script = kafkaStartScript("localhost", 32771);
    expect(script).toMatch(/^#!\/bin\/bash\n/);
    expect(script).toContain(
      "export KAFKA_ADVERTISED_LISTENERS=INTERNAL://localhost:9092,HOST://localhost:32771\n",
    );
    expect(script.trimEnd().endsWith("exec /etc/kafka/docker/run")).toBe(true);
    expect(kafkaWaitCommand[1]).toContain("exec /tmp/eventscope-kafka-start.sh");
  });
});
