/**
 * A local stand-in for SMS and push providers: it accepts what the notification service sends
 * (`POST {to, text, eventId, rule}`) and lists it, so every channel can be followed on a
 * machine with no provider account. The SMTP sink serves it on its API port; run alone
 * (`node infra/src/provider-sink.ts`, PROVIDER_SINK_PORT, default 8026) for docker-compose.
 *
 *   POST   /api/v1/sms | /api/v1/push          202 {ID}
 *   GET    /api/v1/sms | /api/v1/push          newest first: {total, messages: [{ID, Created, to, text, eventId, rule}]}
 *   DELETE /api/v1/sms | /api/v1/push          forget them
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";

export interface ProviderMessage {
  ID: string;
  Created: string;
  to: unknown;
  text: unknown;
  eventId: unknown;
  rule: unknown;
}

const MAX_KEPT = 5000;

export function createProviderSink() {
  const channels: Record<string, ProviderMessage[]> = { sms: [], push: [] };
  const reply = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

  /** Answers the request when it is for a provider channel; false when it is not. */
  async function handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const channel = /^\/api\/v1\/(sms|push)\/?$/.exec(pathname)?.[1];
    if (channel === undefined) return false;
    const list = channels[channel]!;
    if (req.method === "GET") {
      reply(res, 200, { total: list.length, messages: [...list].reverse() });
    } else if (req.method === "DELETE") {
      list.length = 0;
      reply(res, 200, { total: 0 });
    } else if (req.method === "POST") {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        reply(res, 400, { error: "the body must be JSON" });
        return true;
      }
      const message: ProviderMessage = {
        ID: randomBytes(8).toString("hex"),
        Created: new Date().toISOString(),
        to: body.to,
        text: body.text,
        eventId: body.eventId,
        rule: body.rule,
      };
      list.push(message);
      if (list.length > MAX_KEPT) list.shift();
      reply(res, 202, { ID: message.ID });
    } else {
      reply(res, 405, { error: "method not allowed" });
    }
    return true;
  }
  return { handle, channels };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sink = createProviderSink();
  const port = Number(process.env.PROVIDER_SINK_PORT ?? 8026);
  const host = process.env.PROVIDER_SINK_HOST ?? "127.0.0.1";
  createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://provider-sink").pathname;
    if (pathname === "/livez") return void res.writeHead(200).end("ok");
    sink
      .handle(req, res, pathname)
      .then((handled) => handled || res.writeHead(404).end("not found"))
      .catch(() => res.writeHead(500).end());
  }).listen(port, host, () => console.log(`provider sink on http://${host}:${port}/api/v1/{sms,push}`));
}
