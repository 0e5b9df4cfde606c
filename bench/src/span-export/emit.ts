// One exporting process of the span-export benchmark: the platform's own telemetry (the SDK, the
// batch processor's settings, the exporter that OTEL_EXPORTER_OTLP_TRACES_PROTOCOL picks) and the
// spans of one event's trace as the services make them: the producer's server span with the HTTP
// instrumentation's attributes, then one consumer span per consuming service (startConsumerSpan,
// continued from the W3C headers). Prints one JSON line: spans made, CPU µs of this process.
import {
  context,
  SpanKind,
  startConsumerSpan,
  startTelemetry,
  topicNames,
  trace,
  traceHeaders,
} from "@eventscope/platform";

const rate = Number(process.env.SPAN_EXPORT_EVENTS ?? 1000);
const seconds = Number(process.env.SPAN_EXPORT_SECONDS ?? 10);
const telemetry = startTelemetry(process.env.OTEL_SERVICE_NAME ?? "span-export");
const { tracer } = telemetry;
const topics = topicNames();
const consumers = ["event-store", "projection", "notification"];

let spans = 0;
let offset = 0;
function oneEvent(): void {
  const eventId = crypto.randomUUID();
  const userId = `user-${offset % 1000}`;
  const root = tracer.startSpan("POST /api/events", {
    kind: SpanKind.SERVER,
    attributes: {
      "http.request.method": "POST",
      "http.route": "/api/events",
      "http.response.status_code": 202,
      "url.path": "/api/events",
      "url.scheme": "http",
      "server.address": "127.0.0.1",
      "server.port": 8081,
      "client.address": "127.0.0.1",
      "network.peer.address": "127.0.0.1",
      "network.peer.port": 40000 + (offset % 20000),
      "network.protocol.version": "1.1",
      "eventscope.event.id": eventId,
      "eventscope.aggregate.id": userId,
    },
  });
  const headers = traceHeaders(trace.setSpan(context.active(), root));
  root.end();
  spans++;
  for (const group of consumers) {
    const span = startConsumerSpan(tracer, {
      topic: group === "event-store" ? topics.ingest : topics.committed,
      partition: offset % 6,
      group,
      offset: String(offset),
      headers,
      event: { eventId, eventType: "user-activity", aggregateId: userId, version: 1 + (offset % 50) },
    });
    span.end();
    spans++;
  }
  offset++;
}

const cpu0 = process.cpuUsage();
const started = Date.now();
await new Promise<void>((done) => {
  let due = 0;
  const timer = setInterval(() => {
    const target = Math.floor(((Date.now() - started) / 1000) * rate);
    for (; due < target; due++) oneEvent();
    if (Date.now() - started >= seconds * 1000) {
      clearInterval(timer);
      done();
    }
  }, 10);
});
await telemetry.shutdown(); // the last export, answered
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ spans, events: offset, cpuMicros: cpu.user + cpu.system })}\n`);
