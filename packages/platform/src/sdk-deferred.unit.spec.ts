import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freshNode } from "@eventscope/testkit";
import { deferredExports } from "./sdk-deferred.ts";

const here = dirname(fileURLToPath(import.meta.url));
const sdkDist = dirname(createRequire(import.meta.url).resolve("@opentelemetry/sdk-node"));

const child = (script: string, env: Record<string, string> = {}) =>
  freshNode(script, {
    cwd: here,
    env: { OTEL_SDK_DISABLED: "", ...env },
    prelude: `const { deferSdkExporters } = await import(${JSON.stringify(join(here, "sdk-deferred.ts"))});\ndeferSdkExporters();`,
  });

describe("the SDK's exporters, loaded when used", () => {
  it("stands in for every name @opentelemetry/sdk-node imports from a deferred package", () => {
    // An SDK upgrade that imports another name would stop every service at start: this says which.
    const imported = new Map<string, Set<string>>();
    for (const file of readdirSync(sdkDist).filter((f) => f.endsWith(".mjs"))) {
      const source = readFileSync(join(sdkDist, file), "utf8");
      for (const [, names, specifier] of source.matchAll(/^import \{([^}]*)\} from "([^"]+)";/gm)) {
        const set = imported.get(specifier!) ?? new Set<string>();
        for (const name of names!.split(",")) set.add(name.trim().split(/\s+as\s+/)[0]!);
        imported.set(specifier!, set);
      }
    }
    for (const [specifier, names] of Object.entries(deferredExports)) {
      expect(imported.has(specifier), `${specifier} is no longer imported by the SDK`).toBe(true);
      expect([...imported.get(specifier)!].sort(), specifier).toEqual([...names].sort());
    }
    // The trace exporter the services use by default is imported for real.
    expect(imported.has("@opentelemetry/exporter-trace-otlp-http")).toBe(true);
    expect(deferredExports).not.toHaveProperty(["@opentelemetry/exporter-trace-otlp-http"]);
  });

  // One span through the platform's telemetry to the collector; `report` is what the script prints.
  const oneSpan = (report: string, env: Record<string, string> = {}) =>
    child(
      `
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collectorUrl;
      const { startTelemetry } = await import(${JSON.stringify(join(here, "telemetry.ts"))});
      const telemetry = startTelemetry("deferred-test", process.env);
      telemetry.tracer.startSpan("one").end();
      await telemetry.shutdown();
      console.log(JSON.stringify(${report}));
    `,
      env,
    );

  it("leaves the exporters a service does not pick unloaded, and the one it uses loaded", () => {
    const names = JSON.stringify(Object.keys(deferredExports));
    expect(oneSpan(`{ loaded: ${names}.filter(loaded), received }`)).toEqual({
      loaded: [],
      received: { "/v1/traces application/json": 1 },
    });
  });

  it("loads the protobuf trace exporter when the protocol names it", () => {
    const seen = oneSpan(`{ received, grpc: loaded("@opentelemetry/exporter-trace-otlp-grpc") }`, {
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf",
    });
    expect(seen).toEqual({ received: { "/v1/traces application/x-protobuf": 1 }, grpc: false });
  });

  it("builds what the OTEL_* variables choose: zipkin, B3, a Prometheus reader", () => {
    const seen = child(
      `
      process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT = collectorUrl + "/api/v2/spans";
      const { NodeSDK } = await import("@opentelemetry/sdk-node");
      const { propagation, context, trace } = await import("@opentelemetry/api");
      const sdk = new NodeSDK({ instrumentations: [] });
      sdk.start();
      const span = trace.getTracer("t").startSpan("s");
      const carrier = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      span.end();
      await sdk.shutdown();
      console.log(JSON.stringify({
        b3: typeof carrier.b3 === "string" && carrier.b3.startsWith(span.spanContext().traceId),
        received,
        loaded: ["@opentelemetry/exporter-zipkin", "@opentelemetry/propagator-b3", "@opentelemetry/exporter-prometheus"].filter(loaded),
        grpc: loaded("@opentelemetry/exporter-trace-otlp-grpc"),
      }));
    `,
      {
        OTEL_TRACES_EXPORTER: "zipkin",
        OTEL_PROPAGATORS: "b3",
        OTEL_METRICS_EXPORTER: "prometheus",
        OTEL_EXPORTER_PROMETHEUS_PORT: "0",
        OTEL_LOGS_EXPORTER: "none",
      },
    );
    expect(seen).toEqual({
      b3: true,
      received: { "/api/v2/spans application/json": 1 },
      loaded: [
        "@opentelemetry/exporter-zipkin",
        "@opentelemetry/propagator-b3",
        "@opentelemetry/exporter-prometheus",
      ],
      grpc: false,
    });
  });
});
