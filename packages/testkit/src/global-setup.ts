/**
 * vitest globalSetup of the `int` project (e2e runs against the stack), before the
 * infrastructure check: resolves TEST_INFRA and, for containers, starts Kafka and PostgreSQL and
 * points the run at them; the returned teardown stops them after the run.
 */
import { prepareTestInfra } from "./test-infra.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const prepared = await prepareTestInfra(process.env);
  if (prepared.infra === "testcontainers")
    process.stdout.write(
      `TEST_INFRA: Kafka at ${process.env.KAFKA_BROKERS} and PostgreSQL in containers for this run\n`,
    );
  return () => prepared.teardown();
}
