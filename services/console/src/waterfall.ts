// A Jaeger trace (the query API's JSON) as waterfall rows: spans in tree order (a parent before
// its children, siblings by start time), each with its depth, its offset from the trace's start
// and its duration in milliseconds, its service and whether it failed. Pure, so it is
// unit-tested on traces written by hand.

export interface JaegerTag {
  key: string;
  type?: string;
  value: unknown;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; traceID: string; spanID: string }[];
  startTime: number; // µs since the epoch
  duration: number; // µs
  tags?: JaegerTag[];
  logs?: { timestamp: number; fields: JaegerTag[] }[];
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export interface WaterfallRow {
  spanId: string;
  parentId: string | null;
  depth: number;
  service: string;
  operation: string;
  kind: string | null;
  /** Milliseconds from the trace's first span start. */
  startMs: number;
  durationMs: number;
  error: boolean;
  /** Why it failed: the exception message or the status description, when there is one. */
  errorMessage: string | null;
  /** The event and messaging attributes worth showing beside the bar. */
  attributes: Record<string, string>;
}

export interface Waterfall {
  traceId: string;
  startedAt: string | null;
  durationMs: number;
  services: string[];
  spanCount: number;
  errorCount: number;
  rows: WaterfallRow[];
  /** True when the trace had more spans than the rows kept. */
  truncated: boolean;
}

const SHOWN_ATTRIBUTES = [
  "eventscope.event.id",
  "eventscope.event.type",
  "eventscope.aggregate.type",
  "eventscope.aggregate.id",
  "eventscope.stream.version",
  "messaging.destination.name",
  "messaging.destination.partition.id",
  "messaging.kafka.offset",
  "messaging.consumer.group.name",
  "messaging.batch.message_count",
  "http.route",
  "http.response.status_code",
  "db.operation.name",
  "error.type",
];

const text = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

const tagOf = (span: JaegerSpan, key: string): unknown => span.tags?.find((t) => t.key === key)?.value;

function errorOf(span: JaegerSpan): { error: boolean; message: string | null } {
  const status = tagOf(span, "otel.status_code");
  const httpStatus = Number(tagOf(span, "http.response.status_code"));
  const flagged = tagOf(span, "error") === true || tagOf(span, "error") === "true" || status === "ERROR";
  const error = flagged || (Number.isInteger(httpStatus) && httpStatus >= 500);
  if (!error) return { error: false, message: null };
  const fromLog = span.logs
    ?.flatMap((l) => l.fields)
    .find((f) => f.key === "exception.message" || f.key === "message")?.value;
  const description = tagOf(span, "otel.status_description") ?? fromLog ?? tagOf(span, "error.type");
  return { error: true, message: description === undefined ? null : text(description).slice(0, 500) };
}

export function toWaterfall(trace: JaegerTrace, maxRows = 2000): Waterfall {
  const spans = trace.spans ?? [];
  const byId = new Map(spans.map((s) => [s.spanID, s]));
  const parentOf = (s: JaegerSpan): string | null => {
    const refs = s.references ?? [];
    const ref =
      refs.find((r) => r.refType === "CHILD_OF" && byId.has(r.spanID)) ??
      refs.find((r) => byId.has(r.spanID));
    return ref && ref.spanID !== s.spanID ? ref.spanID : null;
  };
  const children = new Map<string | null, JaegerSpan[]>();
  for (const s of spans) {
    const parent = parentOf(s);
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
  }
  for (const list of children.values())
    list.sort((a, b) => a.startTime - b.startTime || a.spanID.localeCompare(b.spanID));

  const start = spans.length > 0 ? Math.min(...spans.map((s) => s.startTime)) : 0;
  const end = spans.length > 0 ? Math.max(...spans.map((s) => s.startTime + s.duration)) : 0;
  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  // Depth-first, iteratively; a span is visited once, so a reference cycle cannot loop.
  const visit = (roots: JaegerSpan[]) => {
    const stack: [JaegerSpan, number][] = roots.map((s) => [s, 0] as [JaegerSpan, number]).reverse();
    while (stack.length > 0 && rows.length < maxRows) {
      const [span, depth] = stack.pop()!;
      if (seen.has(span.spanID)) continue;
      seen.add(span.spanID);
      const { error, message } = errorOf(span);
      const attributes: Record<string, string> = {};
      for (const key of SHOWN_ATTRIBUTES) {
        const value = tagOf(span, key);
        if (value !== undefined) attributes[key] = text(value).slice(0, 200);
      }
      const kind = tagOf(span, "span.kind");
      rows.push({
        spanId: span.spanID,
        parentId: parentOf(span),
        depth,
        service: trace.processes?.[span.processID]?.serviceName ?? "unknown",
        operation: span.operationName,
        kind: kind === undefined ? null : text(kind),
        startMs: (span.startTime - start) / 1000,
        durationMs: span.duration / 1000,
        error,
        errorMessage: message,
        attributes,
      });
      const kids = children.get(span.spanID) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, depth + 1]);
    }
  };
  visit(children.get(null) ?? []);
  // Spans caught in a cycle have no root: shown at the top level after the rest.
  visit(spans.filter((s) => !seen.has(s.spanID)).sort((a, b) => a.startTime - b.startTime));

  return {
    traceId: trace.traceID,
    startedAt: spans.length > 0 ? new Date(start / 1000).toISOString() : null,
    durationMs: (end - start) / 1000,
    services: [...new Set(rows.map((r) => r.service))],
    spanCount: spans.length,
    errorCount: rows.filter((r) => r.error).length,
    rows,
    truncated: rows.length < spans.length,
  };
}
