// The OpenTelemetry instrumentations the services run with, configured for cost: HTTP without
// the scrape and probe routes, express with route spans only (no middleware layers), PostgreSQL
// only under a span of ours, outgoing calls only inside a trace. Under ESM they patch a module
// only when they are enabled before it loads, so `instrument.ts` (node --import) creates them
// first and `startTelemetry` hands the same instances to the SDK.
import type { IncomingMessage, RequestOptions } from "node:http";
import type { Instrumentation } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { ExpressInstrumentation, ExpressLayerType } from "@opentelemetry/instrumentation-express";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { PinoInstrumentation } from "@opentelemetry/instrumentation-pino";
import { ConfigError, type Env } from "./config.ts";

export const instrumentationNames = ["http", "express", "pg", "undici", "pino"] as const;
export type InstrumentationName = (typeof instrumentationNames)[number];
/**
 * What runs unless the variables say otherwise: all but express. Its one span per request (the
 * route handler) repeats the route and the duration the http server span already carries (the
 * HTTP layer names that span by the route pattern), and costs ~0.3 ms of CPU per event in the
 * producer, +41 % against +25 % over telemetry off without it (bench/README.md,
 * instrumentation-cost): it costs more than it tells. OTEL_NODE_ENABLED_INSTRUMENTATIONS=... ,express
 * brings it back.
 */
export const defaultInstrumentations: readonly InstrumentationName[] = instrumentationNames.filter(
  (n) => n !== "express",
);

/** Incoming requests that get no span: Prometheus' scrape and the health probes. */
export const ignoredIncomingPath = (url: string | undefined): boolean =>
  url !== undefined && (url === "/metrics" || url.startsWith("/metrics?") || url.startsWith("/health/"));

/** The OTLP exporter's own requests (its export is also run with tracing suppressed). */
export const otlpExportPath = (path: string | null | undefined): boolean =>
  path != null && /^\/v1\/(traces|metrics|logs)(\?|$)/.test(path);

const names = (raw: string | undefined, variable: string): InstrumentationName[] | undefined => {
  if (raw === undefined || raw.trim() === "") return undefined;
  const out = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const name of out)
    if (!(instrumentationNames as readonly string[]).includes(name))
      throw new ConfigError(
        `${variable}: unknown instrumentation "${name}" (known: ${instrumentationNames.join(", ")})`,
      );
  return out as InstrumentationName[];
};

/**
 * The instrumentations to run: the default ones, or those OTEL_NODE_ENABLED_INSTRUMENTATIONS lists, less
 * those OTEL_NODE_DISABLED_INSTRUMENTATIONS lists (the variables of OpenTelemetry's Node
 * auto-instrumentation, with the short names above). An unknown name is refused.
 */
export function selectedInstrumentations(env: Env = process.env): InstrumentationName[] {
  const enabled = names(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS, "OTEL_NODE_ENABLED_INSTRUMENTATIONS");
  const disabled =
    names(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS, "OTEL_NODE_DISABLED_INSTRUMENTATIONS") ?? [];
  return (enabled ?? [...defaultInstrumentations]).filter((n) => !disabled.includes(n));
}

const factories: Record<InstrumentationName, () => Instrumentation> = {
  http: () =>
    new HttpInstrumentation({
      enabled: false,
      ignoreIncomingRequestHook: (request: IncomingMessage) => ignoredIncomingPath(request.url),
      ignoreOutgoingRequestHook: (options: RequestOptions) => otlpExportPath(options.path),
      // A call made outside any trace (a readiness probe of a neighbour) starts no trace of its own.
      requireParentforOutgoingSpans: true,
    }),
  express: () =>
    new ExpressInstrumentation({
      enabled: false,
      // Only the request handler: the route is what a trace reader wants, each middleware is noise.
      ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER],
    }),
  pg: () =>
    new PgInstrumentation({
      enabled: false,
      requireParentSpan: true,
      ignoreConnectSpans: true,
      enhancedDatabaseReporting: false,
    }),
  undici: () => new UndiciInstrumentation({ enabled: false, requireParentforSpans: true }),
  // Correlation only (trace_id, span_id, trace_flags on each line); logs stay on stdout.
  pino: () => new PinoInstrumentation({ enabled: false, disableLogSending: true }),
};

/** Creates the selected instrumentations, not yet enabled (the loader hook comes first). */
export const createInstrumentations = (selected: readonly InstrumentationName[]): Instrumentation[] =>
  selected.map((name) => factories[name]());

/** The module names the instrumentations patch: what the ESM loader hook must intercept. */
export const patchedModules = (instrumentations: readonly Instrumentation[]): string[] => [
  ...new Set(
    instrumentations.flatMap(
      (i) =>
        (i as Instrumentation & { getModuleDefinitions?: () => { name: string }[] })
          .getModuleDefinitions?.()
          .map((d) => d.name) ?? [],
    ),
  ),
];

let registered: { names: InstrumentationName[]; instrumentations: Instrumentation[] } = {
  names: [],
  instrumentations: [],
};

/** Records the instrumentations the loader hook enabled, for `startTelemetry`. */
export function setRegisteredInstrumentations(
  names: InstrumentationName[],
  instrumentations: Instrumentation[],
): void {
  registered = { names, instrumentations };
}

/** The instrumentations enabled before the program's modules loaded (none without the hook). */
export const registeredInstrumentations = (): Instrumentation[] => registered.instrumentations;

/** Whether the named instrumentation was enabled by the loader hook. */
export const isInstrumented = (name: InstrumentationName): boolean => registered.names.includes(name);
