import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { deferredExports } from "./sdk-deferred.ts";

const here = dirname(fileURLToPath(import.meta.url));
const sdkDist = dirname(createRequire(import.meta.url).resolve("@opentelemetry/sdk-node"));

/** Runs `script` (an ES module) in a fresh Node with the hook installed first; its JSON on stdout. */
function child(script: string, env: Record<string, string> = {}): Record<string, unknown> {
  const prelude = [
    `import { registerHooks } from "node:module";`,
    `const loaded = new Set();`,
    `registerHooks({ load(url, c, next) { loaded.add(url); return next(url, c); } });`,
    `const { deferSdkExporters } = await import(${JSON.stringify(join(here, "sdk-deferred.ts"))});`,
    `deferSdkExporters();`,
    `const real = (name) => [...loaded].some((u) => u.startsWith("file:") && u.includes("/node_modules/" + name + "/"));`,
    // A collector on the loopback that counts what reaches each path.
    `const { createServer } = await import("node:http");`,
    `const received = {};`,
    `const collector = createServer((req, res) => { req.resume(); req.on("end", () => { const key = req.url + " " + req.headers["content-type"]; received[key] = (received[key] ?? 0) + 1; res.end("{}"); }); });`,
    `await new Promise((r) => collector.listen(0, "127.0.0.1", r));`,
    `const collectorUrl = "http://127.0.0.1:" + collector.address().port;`,
  ].join("\n");
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", `${prelude}\n${script}`], {
    cwd: here,
    encoding: "utf8",
    env: { ...process.env, OTEL_SDK_DISABLED: "", ...env },
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

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

  it("leaves the exporters a service does not pick unloaded, and the one it uses loaded", () => {
    const seen = child(`
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collectorUrl;
      const { startTelemetry } = await import(${JSON.stringify(join(here, "telemetry.ts"))});
      const telemetry = startTelemetry("deferred-test", process.env);
      telemetry.tracer.startSpan("one").end();
      await telemetry.shutdown();
      collector.close();
      const names = ${JSON.stringify(Object.keys(deferredExports))};
      console.log(JSON.stringify({ loaded: names.filter(real), received }));
    `);
    expect(seen).toEqual({ loaded: [], received: { "/v1/traces application/json": 1 } });
  });

  it("loads the protobuf trace exporter when the protocol names it", () => {
    const seen = child(
      `
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collectorUrl;
      const { startTelemetry } = await import(${JSON.stringify(join(here, "telemetry.ts"))});
      const telemetry = startTelemetry("deferred-test", process.env);
      telemetry.tracer.startSpan("one").end();
      await telemetry.shutdown();
      collector.close();
      console.log(JSON.stringify({ received, grpc: real("@opentelemetry/exporter-trace-otlp-grpc") }));
    `,
      { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" },
    );
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
      collector.close();
      console.log(JSON.stringify({
        b3: typeof carrier.b3 === "string" && carrier.b3.startsWith(span.spanContext().traceId),
        received,
        loaded: ["@opentelemetry/exporter-zipkin", "@opentelemetry/propagator-b3", "@opentelemetry/exporter-prometheus"].filter(real),
        grpc: real("@opentelemetry/exporter-trace-otlp-grpc"),
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
