// The raw pipeline's first process: node:http, POST /api/events with the user-activity body
// ({userId, eventType, metadata}), parsed, stamped with an id and the acceptance time, produced
// to the ingest topic keyed by the user id, answered 202 once the broker acknowledged it. Bad
// input gets an RFC 7807 problem naming the field; no API key, no telemetry: the floor.
import { randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { createProducer, queuedSender } from "./kafka.ts";
import { fromEnv, ready } from "./topology.ts";
import type { RawEvent } from "./schema.ts";

const MAX_BODY = 64 * 1024;

function answer(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function problem(res: ServerResponse, status: number, title: string, detail: string, field?: string): void {
  answer(
    res,
    status,
    { type: "about:blank", title, status, detail, ...(field ? { field } : {}) },
    "application/problem+json",
  );
}

/** The user-activity body, or what is wrong with it. */
export function parseActivity(
  body: unknown,
):
  | { ok: true; value: Omit<RawEvent, "eventId" | "acceptedAt"> }
  | { ok: false; field: string; reason: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, field: "body", reason: "must be a JSON object" };
  const b = body as Record<string, unknown>;
  if (typeof b.userId !== "string" || b.userId.length === 0 || b.userId.length > 200)
    return { ok: false, field: "userId", reason: "must be a string of 1-200 characters" };
  if (typeof b.eventType !== "string" || b.eventType.length === 0 || b.eventType.length > 200)
    return { ok: false, field: "eventType", reason: "must be a string of 1-200 characters" };
  const metadata = b.metadata ?? {};
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))
    return { ok: false, field: "metadata", reason: "must be an object" };
  return {
    ok: true,
    value: { userId: b.userId, eventType: b.eventType, metadata: metadata as Record<string, unknown> },
  };
}

async function main(): Promise<void> {
  const t = fromEnv();
  const producer = createProducer("raw-ingest", t.brokers);
  await producer.initIdempotentProducer({});
  const publish = queuedSender(producer, t.ingestTopic);

  const server = createServer((req, res) => {
    if (req.method !== "POST" || (req.url !== "/api/events" && !req.url?.startsWith("/api/events?"))) {
      problem(res, 404, "Not Found", `no route ${req.method} ${req.url}`);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_BODY) return problem(res, 413, "Payload Too Large", `over ${MAX_BODY} bytes`, "body");
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return problem(res, 400, "Bad Request", "body: not valid JSON", "body");
      }
      const parsed = parseActivity(body);
      if (!parsed.ok)
        return problem(res, 400, "Bad Request", `${parsed.field}: ${parsed.reason}`, parsed.field);
      const event: RawEvent = { eventId: randomUUID(), ...parsed.value, acceptedAt: Date.now() };
      publish({ key: Buffer.from(event.userId), value: Buffer.from(JSON.stringify(event)) }).then(
        () => answer(res, 202, { eventId: event.eventId }),
        () => problem(res, 503, "Service Unavailable", "the broker did not acknowledge the event"),
      );
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    ready({ port: typeof address === "object" && address ? address.port : null });
  });
  process.on("SIGTERM", () => {
    server.close();
    void producer.close(true).finally(() => process.exit(0));
  });
}

if (import.meta.main) await main();
