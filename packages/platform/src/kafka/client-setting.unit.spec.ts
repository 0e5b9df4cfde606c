import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freshNode } from "@eventscope/testkit";
import { commonSettings, ConfigError, readConfig } from "../config.ts";
import { createKafka } from "../kafka.ts";
import { createLogger } from "../logger.ts";

const spec = { kafkaClient: commonSettings.kafkaClient };
const logger = createLogger({ service: "kafka-setting", level: "silent" });

describe("KAFKA_CLIENT", () => {
  it("takes kafkajs or platformatic, the option over the environment", () => {
    expect(readConfig(spec, { KAFKA_CLIENT: "platformatic" }).kafkaClient).toBe("platformatic");
    expect(readConfig(spec, { KAFKA_CLIENT: "kafkajs" }).kafkaClient).toBe("kafkajs");
    expect(readConfig(spec, {}).kafkaClient).toBe(commonSettings.kafkaClient.default);
    expect(readConfig(spec, { KAFKA_CLIENT: "kafkajs" }, { kafkaClient: "platformatic" }).kafkaClient).toBe(
      "platformatic",
    );
  });

  it("refuses any other client, naming the variable and the accepted values", () => {
    expect(() => readConfig(spec, { KAFKA_CLIENT: "rdkafka" })).toThrow(ConfigError);
    expect(() => readConfig(spec, { KAFKA_CLIENT: "Kafkajs" })).toThrow(
      /^KAFKA_CLIENT: expected one of kafkajs, platformatic, got "Kafkajs"/,
    );
  });

  it("gives the client asked for, without connecting", async () => {
    for (const client of ["kafkajs", "platformatic"] as const) {
      const kafka = await createKafka({ client, brokers: ["127.0.0.1:9092"], clientId: "setting", logger });
      expect(kafka.client).toBe(client);
    }
  });

  it("loads only the client library it is asked for, and neither before", () => {
    const platform = join(dirname(fileURLToPath(import.meta.url)), "..", "index.ts");
    const libraries = ["kafkajs", "@platformatic/kafka"];
    const run = (client: string) =>
      freshNode(
        `
        const { createKafka, createLogger } = await import(${JSON.stringify(platform)});
        const before = ${JSON.stringify(libraries)}.filter(loaded);
        const logger = createLogger({ service: "kafka-setting", level: "silent" });
        const kafka = await createKafka({ client: ${JSON.stringify(client)}, brokers: ["127.0.0.1:9092"], clientId: "lazy", logger });
        console.log(JSON.stringify({ before, client: kafka.client, after: ${JSON.stringify(libraries)}.filter(loaded) }));
      `,
        { cwd: dirname(platform) },
      );
    expect(run("kafkajs")).toEqual({ before: [], client: "kafkajs", after: ["kafkajs"] });
    expect(run("platformatic")).toEqual({
      before: [],
      client: "platformatic",
      after: ["@platformatic/kafka"],
    });
  });
});
