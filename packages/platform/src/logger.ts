import { trace } from "@opentelemetry/api";
import { pino, type Logger } from "pino";
import { isInstrumented } from "./instrumentations.ts";

export type { Logger } from "pino";

export interface LoggerOptions {
  service: string;
  level?: string;
  format?: string;
}

/** The ids of the active span, for a program started without the pino instrumentation. */
function activeSpanIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const context = span.spanContext();
  return { trace_id: context.traceId, span_id: context.spanId };
}

/**
 * pino JSON logs. Every line written inside an active span carries its `trace_id`, `span_id` and
 * `trace_flags`, so a log line leads to the trace in Jaeger: the pino instrumentation writes them
 * (`instrument.ts` enables it before the services' modules load); a program started without it
 * (a script, a test) gets the first two from a mixin. `format: "pretty"` is for development.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino({
    name: options.service,
    level: options.level ?? "info",
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    ...(isInstrumented("pino") ? {} : { mixin: activeSpanIds }),
    ...(options.format === "pretty"
      ? { transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss.l" } } }
      : {}),
  });
}
