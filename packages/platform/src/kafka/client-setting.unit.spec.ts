import { describe, expect, it } from "vitest";
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

  it("gives the client asked for, without connecting", () => {
    for (const client of ["kafkajs", "platformatic"] as const) {
      expect(createKafka({ client, brokers: ["127.0.0.1:9092"], clientId: "setting", logger }).client).toBe(
        client,
      );
    }
  });
});
