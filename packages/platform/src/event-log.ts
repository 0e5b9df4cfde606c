import { ROOT_CONTEXT, context, trace, type Span } from "@opentelemetry/api";
import type { Logger } from "./logger.ts";

/** What identifies an event in a log line (an envelope, a committed event or a delivery). */
export interface EventIds {
  eventId: string;
  metadata?: { correlationId?: string | undefined } | undefined;
  correlationId?: string | undefined;
}

const levels = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

/**
 * A child logger for the lines about one event written outside the event's active span (after
 * the span ended, or in batch code that holds many spans): every line carries `eventId`,
 * `correlationId` and, through the logger's mixin, the `trace_id` and `span_id` of the event's
 * span, as lines written inside the span do. The span is made active around each call rather
 * than bound into the child, so the ids appear once per line.
 */
export function eventLog(logger: Logger, span: Span | undefined, event: EventIds): Logger {
  const child = logger.child({
    eventId: event.eventId,
    correlationId: event.metadata?.correlationId ?? event.correlationId,
  });
  if (!span) return child;
  const ctx = trace.setSpan(ROOT_CONTEXT, span);
  for (const level of levels) {
    const write: (...args: unknown[]) => void = child[level].bind(child);
    (child as unknown as Record<string, unknown>)[level] = (...args: unknown[]) =>
      context.with(ctx, () => write(...args));
  }
  return child;
}
