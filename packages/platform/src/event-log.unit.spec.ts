import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// The real createLogger writes to fd 1, so the lines are read from a child process's stdout.
const script = `
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { createLogger, eventLog } from "@eventscope/platform";
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const logger = createLogger({ service: "t" });
const span = trace.wrapSpanContext({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 });
const other = trace.wrapSpanContext({ traceId: "1".repeat(32), spanId: "2".repeat(16), traceFlags: 1 });
eventLog(logger, span, { eventId: "e1", metadata: { correlationId: "c1" } }).info({ code: "X" }, "outside");
context.with(trace.setSpan(context.active(), other), () =>
  eventLog(logger, span, { eventId: "e2", correlationId: "c2" }).warn("inside another span"));
eventLog(logger, undefined, { eventId: "e3", correlationId: "c3" }).error("no span");
logger.info("unrelated");
`;

const raw = (): string[] =>
  execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })
    .trim()
    .split("\n");

describe("eventLog", () => {
  const text = raw();
  const [outside, inside, noSpan, unrelated] = text.map((l) => JSON.parse(l) as Record<string, unknown>);

  it("gives a line written outside the event's span its ids: trace_id, span_id, eventId, correlationId", () => {
    expect(outside).toMatchObject({
      msg: "outside",
      code: "X",
      eventId: "e1",
      correlationId: "c1",
      trace_id: "0af7651916cd43dd8448eb211c80319c",
      span_id: "b7ad6b7169203331",
    });
  });

  it("uses the event's span even inside another active span, and writes each id once", () => {
    expect(inside).toMatchObject({
      eventId: "e2",
      correlationId: "c2",
      trace_id: "0af7651916cd43dd8448eb211c80319c",
    });
    for (const key of ["trace_id", "span_id", "eventId", "correlationId"])
      expect(text[1]!.split(`"${key}"`)).toHaveLength(2);
  });

  it("still carries the event ids without a span", () => {
    expect(noSpan).toMatchObject({ eventId: "e3", correlationId: "c3", level: "error" });
    expect(noSpan).not.toHaveProperty("trace_id");
    expect(unrelated).not.toHaveProperty("eventId");
  });
});
