// Where the integration tests find Kafka and PostgreSQL. TEST_INFRA=auto (the default) uses
// containers when a container engine answers and the native processes (`make infra-up`)
// otherwise; native and testcontainers force one. The other parts (Prometheus, Jaeger, the SMTP
// sink) are the native ones either way.
import { startContainers, type RunningContainers } from "./containers.ts";

export const testInfraModes = ["auto", "native", "testcontainers"] as const;
export type TestInfraMode = (typeof testInfraModes)[number];
export type TestInfra = "native" | "testcontainers";

/** TEST_INFRA, default auto; any other value is refused, naming the variable. */
export function parseTestInfra(raw: string | undefined): TestInfraMode {
  if (raw === undefined || raw.trim() === "") return "auto";
  const value = raw.trim();
  if ((testInfraModes as readonly string[]).includes(value)) return value as TestInfraMode;
  throw new Error(`TEST_INFRA: expected one of ${testInfraModes.join(", ")}, got "${raw}"`);
}

/** Whether a container engine answers (testcontainers' own detection: DOCKER_HOST, the socket, ...). */
export async function containerEngineAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** The infrastructure a mode resolves to; testcontainers without an engine is an error. */
export async function chooseTestInfra(
  mode: TestInfraMode,
  engineAnswers: () => Promise<boolean> = containerEngineAnswers,
): Promise<TestInfra> {
  if (mode === "native") return "native";
  const engine = await engineAnswers();
  if (engine) return "testcontainers";
  if (mode === "auto") return "native";
  throw new Error(
    "TEST_INFRA=testcontainers, but no container engine answers (set DOCKER_HOST, or start Docker or Podman); " +
      "TEST_INFRA=native uses the processes `make infra-up` starts",
  );
}

export interface PreparedInfra {
  infra: TestInfra;
  /** Stops what was started for the run (nothing for the native processes). */
  teardown(): Promise<void>;
}

/**
 * For a test run's global setup: resolves TEST_INFRA and, for containers, starts them and points
 * KAFKA_BROKERS and DATABASE_URL at them (in `env`, which the test workers and the services they
 * start inherit).
 */
export async function prepareTestInfra(
  env: NodeJS.ProcessEnv = process.env,
  options: {
    engineAnswers?: () => Promise<boolean>;
    start?: (env: NodeJS.ProcessEnv) => Promise<RunningContainers>;
  } = {},
): Promise<PreparedInfra> {
  const infra = await chooseTestInfra(parseTestInfra(env.TEST_INFRA), options.engineAnswers);
  if (infra === "native") return { infra, teardown: async () => {} };
  const containers = await (options.start ?? startContainers)(env);
  env.KAFKA_BROKERS = containers.kafkaBrokers.join(",");
  env.DATABASE_URL = containers.databaseUrl;
  return { infra, teardown: () => containers.stop() };
}
