// @opentelemetry/sdk-node imports, when it is itself imported, every exporter it can build from
// OTEL_* variables: OTLP over gRPC, HTTP and protobuf for traces, metrics and logs, Zipkin,
// Prometheus, the B3 propagator and the declarative-configuration parser. A service uses one
// trace exporter. Loading the rest cost each service about 20 MiB of PSS idle and after a load
// (bench/README.md, "Loaded on use"). This hook hands the SDK, for those packages
// only, a module whose exports stand in for the real ones and load them on first use: a
// constructor call, a function call or a property read. So OTEL_METRICS_EXPORTER=prometheus or
// OTEL_TRACES_EXPORTER=zipkin work as before, paying for the exporter when it is chosen.
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

/** The packages the SDK imports and a service does not need unless it picks them, and the names the SDK imports of each. */
export const deferredExports: Readonly<Record<string, readonly string[]>> = {
  "@opentelemetry/configuration": [
    "mergeHeadersConfig",
    "mergePropagatorCompositeConfig",
    "mergeResourceAttributesConfig",
    "parseConfigFile",
  ],
  "@opentelemetry/exporter-logs-otlp-grpc": ["OTLPLogExporter"],
  "@opentelemetry/exporter-logs-otlp-http": ["OTLPLogExporter"],
  "@opentelemetry/exporter-logs-otlp-proto": ["OTLPLogExporter"],
  "@opentelemetry/exporter-metrics-otlp-grpc": ["OTLPMetricExporter"],
  "@opentelemetry/exporter-metrics-otlp-http": ["AggregationTemporalityPreference", "OTLPMetricExporter"],
  "@opentelemetry/exporter-metrics-otlp-proto": ["OTLPMetricExporter"],
  "@opentelemetry/exporter-prometheus": ["PrometheusExporter"],
  "@opentelemetry/exporter-trace-otlp-grpc": ["OTLPTraceExporter"],
  "@opentelemetry/exporter-trace-otlp-proto": ["OTLPTraceExporter"],
  "@opentelemetry/exporter-zipkin": ["ZipkinExporter"],
  "@opentelemetry/otlp-grpc-exporter-base": [
    "createEmptyMetadata",
    "createInsecureCredentials",
    "createSslCredentials",
  ],
  "@opentelemetry/propagator-b3": ["B3InjectEncoding", "B3Propagator"],
};

const scheme = "eventscope-deferred:";
const importer = "/node_modules/@opentelemetry/sdk-node/";

/** The source of the module that stands in for `url` (the real module's file URL) with `names`. */
function deferredSource(url: string, names: readonly string[]): string {
  const lines = [
    `import { createRequire } from "node:module";`,
    `const require = createRequire(${JSON.stringify(url)});`,
    `let real;`,
    // require() of an ES module (Node 22.12+) loads it synchronously and shares the ESM cache.
    `const load = () => (real ??= require(${JSON.stringify(fileURLToPath(url))}));`,
    `const deferred = (name) => new Proxy(function () {}, {`,
    `  construct: (_, args) => Reflect.construct(load()[name], args),`,
    `  apply: (_, self, args) => Reflect.apply(load()[name], self, args),`,
    `  get: (_, key) => Reflect.get(load()[name], key),`,
    `  has: (_, key) => Reflect.has(load()[name], key),`,
    `});`,
    ...names.map((name) => `export const ${name} = deferred(${JSON.stringify(name)});`),
  ];
  return lines.join("\n");
}

let registered = false;

/** Installs the hook (once per process). It must run before @opentelemetry/sdk-node is imported. */
export function deferSdkExporters(): void {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (!Object.hasOwn(deferredExports, specifier) || !context.parentURL?.includes(importer))
        return nextResolve(specifier, context);
      const real = nextResolve(specifier, context);
      const url = `${scheme}${encodeURIComponent(specifier)}?${encodeURIComponent(real.url)}`;
      return { url, format: "module", shortCircuit: true };
    },
    load(url, context, nextLoad) {
      if (!url.startsWith(scheme)) return nextLoad(url, context);
      const [specifier = "", real = ""] = url.slice(scheme.length).split("?").map(decodeURIComponent);
      return {
        format: "module",
        source: deferredSource(
          real,
          Object.hasOwn(deferredExports, specifier) ? deferredExports[specifier]! : [],
        ),
        shortCircuit: true,
      };
    },
  });
}
