import { describe, expect, it } from "vitest";
import { readGatewayConfig, upstreamUrls } from "./config.ts";

describe("the gateway's settings", () => {
  it("defaults to the services on their own ports, itself on 8080", () => {
    const config = readGatewayConfig({});
    expect(config.port).toBe(8080);
    expect(upstreamUrls(config)).toEqual({
      producer: "http://127.0.0.1:8081",
      "event-store": "http://127.0.0.1:8082",
      projection: "http://127.0.0.1:8083",
      notification: "http://127.0.0.1:8084",
      "process-manager": "http://127.0.0.1:8086",
    });
  });

  it("takes an upstream as a bare base URL and nothing else", () => {
    expect(readGatewayConfig({ PRODUCER_URL: "http://producer:8081/" }).producerUrl).toBe(
      "http://producer:8081",
    );
    for (const bad of ["producer:8081", "ftp://x", "http://u:p@x", "http://x/api", "http://x?a=1"])
      expect(() => readGatewayConfig({ PRODUCER_URL: bad }), bad).toThrow(/PRODUCER_URL/);
  });

  it("refuses to be its own upstream", () => {
    expect(() => readGatewayConfig({ EVENT_STORE_URL: "http://127.0.0.1:8080" })).toThrow(/gateway itself/);
    expect(() => readGatewayConfig({ PORT: "9000", PROJECTION_URL: "http://localhost:9000" })).toThrow(
      /gateway itself/,
    );
    expect(readGatewayConfig({ EVENT_STORE_URL: "http://event-store:8080" }).eventStoreUrl).toBe(
      "http://event-store:8080",
    );
  });
});
