// What the notification integration tests share: committed events produced straight to the
// committed topic, an HTTP receiver standing in for webhooks and SMS/push providers, and
// look-ups in the shared SMTP sink by a token unique to the test.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import kafkajs from "kafkajs";
import { toKafkaRecord, type CommittedEvent } from "@eventscope/contracts";
import {
  brokers,
  consumedAll,
  createTopics,
  deleteTopics,
  dropSchema,
  freePort,
  request,
  startService,
  testPool,
  uniqueName,
  waitFor,
} from "@eventscope/testkit";

export const mailApi = process.env.MAIL_API_URL ?? "http://127.0.0.1:8025";

let position = 0;
/** A committed event as the event store publishes it, in a fresh trace of its own. */
export function committedEvent(
  eventType: string,
  aggregateType: string,
  aggregateId: string,
  data: Record<string, unknown> = {},
): CommittedEvent {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    eventType,
    aggregateType,
    aggregateId,
    timestamp: now,
    version: 1,
    position: String(++position),
    storedAt: now,
    data,
    metadata: {
      correlationId: randomUUID(),
      source: "notification-tests",
      acceptedAt: now,
      traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`,
    },
  };
}

export const traceIdOf = (traceparent: string | undefined) => traceparent?.split("-")[1];

export async function produce(
  topic: string,
  messages: { key: string; value: Buffer | string | null; headers?: Record<string, string> }[],
): Promise<void> {
  const kafka = new kafkajs.Kafka({
    clientId: "notification-tests",
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

export const produceCommitted = (topic: string, events: CommittedEvent[]) =>
  produce(topic, events.map(toKafkaRecord));

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** An HTTP receiver that records every request and answers with `respond` (200 by default). */
export async function startReceiver(
  respond: (r: Omit<Received, "status">) => number | Promise<number> = () => 200,
) {
  const received: Received[] = [];
  const inFlight = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      const id = String(req.headers["x-eventscope-delivery-id"] ?? "");
      inFlight.add(id);
      void Promise.resolve(respond(r)).then((status) => {
        received.push({ ...r, status });
        inFlight.delete(id);
        res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "nope");
      });
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Delivery ids of requests received but not yet answered. */
    inFlight: () => new Set(inFlight),
    ok: () => received.filter((r) => r.status < 300),
    close: () =>
      new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

export interface MailSummary {
  ID: string;
  Subject: string;
  To: { Address: string }[];
}

/** Messages in the shared SMTP sink whose subject contains the token (never all of them). */
export async function mailsWith(token: string): Promise<MailSummary[]> {
  const res = await request(
    `${mailApi}/api/v1/search?query=${encodeURIComponent(`subject:${token}`)}&limit=500`,
  );
  return (res.body.messages as MailSummary[]).filter((m) => m.Subject.includes(token));
}

export const mailText = async (id: string): Promise<{ Text: string; Headers: Record<string, string[]> }> =>
  (await request(`${mailApi}/api/v1/message/${id}`)).body;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The notification service as a real process on topics, a schema and a group of its own. */
export async function notificationUnderTest(label: string, env: Record<string, string> = {}) {
  const name = uniqueName(label);
  const topics = await createTopics(`${name}.`, 3);
  const groupId = `${name}-notification`;
  const service = await startService("notification", {
    TOPIC_PREFIX: `${name}.`,
    DATABASE_SCHEMA: name,
    CONSUMER_GROUP: groupId,
    EMAIL_TO_DEFAULT: `${name}@eventscope.test`,
    // The test receivers listen on loopback, which the webhook policy refuses unless allow-listed.
    WEBHOOK_ALLOWED_TARGETS: "127.0.0.0/8",
    ...env,
  });
  const pool = testPool();
  const api = (path: string, init?: Parameters<typeof request>[1]) => request(`${service.url}${path}`, init);
  return {
    name,
    topics,
    groupId,
    service,
    pool,
    api,
    deliveriesOf: async (eventId: string): Promise<any[]> =>
      (await api(`/api/deliveries?eventId=${eventId}`)).body.deliveries,
    /** Waits until the event has `count` deliveries, all delivered. */
    delivered: (eventId: string, count: number, timeoutMs = 30_000): Promise<any[]> =>
      waitFor(
        async () => {
          const rows: any[] = (await api(`/api/deliveries?eventId=${eventId}`)).body.deliveries;
          return rows.length === count && rows.every((r) => r.status === "delivered") && rows;
        },
        timeoutMs,
        `${count} delivered deliveries of ${eventId}`,
      ),
    subscribe: async (url: string, eventTypes: string[]) => {
      const res = await api("/api/subscriptions", { body: { url, eventTypes } });
      if (res.status !== 201) throw new Error(`subscription refused: ${JSON.stringify(res.body)}`);
      return res.body as { id: string; secret: string };
    },
    consumedAll: () => consumedAll(groupId, topics.committed),
    async stop() {
      await service.kill();
      await dropSchema(pool, name);
      await pool.end();
      await deleteTopics(topics);
    },
  };
}
