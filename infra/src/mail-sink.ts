/**
 * A local SMTP sink with a Mailpit-compatible subset of Mailpit's HTTP API, for machines
 * without Docker (docker-compose.yml runs Mailpit itself).
 *
 *   node infra/src/mail-sink.ts
 *
 * SMTP on MAIL_HOST:SMTP_PORT (127.0.0.1:1025), no auth, no TLS. HTTP API on
 * MAIL_HOST:MAIL_API_PORT (127.0.0.1:8025):
 *   GET    /api/v1/messages?start=&limit=     newest first: {total, unread, count, messages_count, start, tags, messages}
 *   GET    /api/v1/search?query=&start=&limit= same shape; terms to:, from:, cc:, subject:, is:read/unread, or words
 *   GET    /api/v1/message/{ID|latest}         {ID, From, To, Subject, Date, Text, HTML, Headers, ...} (marks it read)
 *   GET    /api/v1/message/{ID}/headers        {Name: [values]}
 *   GET    /api/v1/message/{ID}/raw            the .eml source
 *   DELETE /api/v1/messages                    body {"IDs": [...]} deletes those, no body or no IDs: all
 *   GET    /livez, /readyz                     200
 *   POST/GET/DELETE /api/v1/sms, /api/v1/push   the SMS and push provider stand-in (provider-sink.ts)
 * Messages are kept in memory and written as .eml files to MAIL_DIR
 * ($EVENTSCOPE_HOME/mail), reloaded at start; at most MAIL_MAX_MESSAGES (5000) are kept.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { SMTPServer } from "smtp-server";
import type { SMTPServerDataStream, SMTPServerSession } from "smtp-server";
import { simpleParser } from "mailparser";
import { createProviderSink } from "./provider-sink.ts";
import type { AddressObject, ParsedMail } from "mailparser";

export interface MailAddress {
  Name: string;
  Address: string;
}

export interface StoredMessage {
  ID: string;
  MessageID: string;
  Read: boolean;
  From: MailAddress;
  To: MailAddress[];
  Cc: MailAddress[];
  Bcc: MailAddress[];
  ReplyTo: MailAddress[];
  ReturnPath: string;
  Subject: string;
  /** When the sink received it (ISO 8601). */
  Created: string;
  /** The Date header (ISO 8601), or Created. */
  Date: string;
  Size: number;
  Snippet: string;
  Text: string;
  HTML: string;
  Headers: Record<string, string[]>;
  Attachments: number;
  file: string | undefined;
}

export interface MailSinkOptions {
  host?: string;
  /** 0 picks a free port. */
  smtpPort: number;
  /** 0 picks a free port. */
  apiPort: number;
  /** Where .eml files go; undefined keeps messages in memory only. */
  dir?: string;
  maxMessages?: number;
  log?: (line: string) => void;
}

export interface MailSink {
  smtpPort: number;
  apiPort: number;
  /** Newest first. */
  messages(): StoredMessage[];
  close(): Promise<void>;
}

const toList = (a: AddressObject | AddressObject[] | undefined): MailAddress[] =>
  (a === undefined ? [] : Array.isArray(a) ? a : [a])
    .flatMap((o) => o.value)
    .flatMap((v) => (v.group !== undefined ? v.group : [v]))
    .map((v) => ({ Name: v.name ?? "", Address: v.address ?? "" }));

function parseHeaders(raw: string): Record<string, string[]> {
  const end = raw.search(/\r?\n\r?\n/);
  const head = (end === -1 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const headers: Record<string, string[]> = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    (headers[name] ??= []).push(line.slice(i + 1).trim());
  }
  return headers;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 250 ? `${flat.slice(0, 250)}...` : flat;
}

function toMessage(
  id: string,
  created: Date,
  raw: Buffer,
  mail: ParsedMail,
  envelope: { from: string; to: string[] } | undefined,
  file: string | undefined,
): StoredMessage {
  const from = toList(mail.from)[0] ?? { Name: "", Address: envelope?.from ?? "" };
  const to = toList(mail.to);
  const cc = toList(mail.cc);
  const listed = new Set([...to, ...cc].map((a) => a.Address.toLowerCase()));
  const bcc = [
    ...toList(mail.bcc),
    ...(envelope?.to ?? [])
      .filter((a) => !listed.has(a.toLowerCase()))
      .map((a) => ({ Name: "", Address: a })),
  ];
  const text = mail.text ?? "";
  const html = typeof mail.html === "string" ? mail.html : "";
  return {
    ID: id,
    MessageID: (mail.messageId ?? "").replace(/^<|>$/g, ""),
    Read: false,
    From: from,
    To: to.length > 0 ? to : bcc,
    Cc: cc,
    Bcc: to.length > 0 ? bcc : [],
    ReplyTo: toList(mail.replyTo),
    ReturnPath: envelope?.from ?? from.Address,
    Subject: mail.subject ?? "",
    Created: created.toISOString(),
    Date: (mail.date ?? created).toISOString(),
    Size: raw.length,
    Snippet: snippet(text !== "" ? text : html.replace(/<[^>]*>/g, " ")),
    Text: text,
    HTML: html,
    Headers: parseHeaders(raw.toString("utf8")),
    Attachments: mail.attachments.length,
    file,
  };
}

function summary(m: StoredMessage): Record<string, unknown> {
  return {
    ID: m.ID,
    MessageID: m.MessageID,
    Read: m.Read,
    From: m.From,
    To: m.To,
    Cc: m.Cc,
    Bcc: m.Bcc,
    ReplyTo: m.ReplyTo,
    Subject: m.Subject,
    Created: m.Created,
    Tags: [],
    Size: m.Size,
    Attachments: m.Attachments,
    Snippet: m.Snippet,
  };
}

function detail(m: StoredMessage): Record<string, unknown> {
  const { file: _file, Read: _read, Snippet: _snippet, Created: _created, ...rest } = m;
  return { ...rest, Tags: [], Inline: [], Attachments: [] };
}

/** Mailpit-like search: `to:`, `from:`, `cc:`, `subject:`, `is:read|unread`, else words anywhere. */
export function matches(m: StoredMessage, query: string): boolean {
  const terms = query.match(/(?:[^\s"]+:)?"[^"]*"|\S+/g) ?? [];
  const addr = (list: MailAddress[]): string => list.map((a) => `${a.Name} <${a.Address}>`).join(" ");
  return terms.every((term) => {
    const negate = term.startsWith("-") || term.startsWith("!");
    const t = negate ? term.slice(1) : term;
    const colon = t.indexOf(":");
    const key = colon > 0 ? t.slice(0, colon).toLowerCase() : "";
    const value = (key !== "" ? t.slice(colon + 1) : t).replace(/^"|"$/g, "").toLowerCase();
    let hit: boolean;
    switch (key) {
      case "to":
        hit = addr(m.To).toLowerCase().includes(value);
        break;
      case "from":
        hit = addr([m.From]).toLowerCase().includes(value);
        break;
      case "cc":
        hit = addr(m.Cc).toLowerCase().includes(value);
        break;
      case "subject":
        hit = m.Subject.toLowerCase().includes(value);
        break;
      case "is":
        hit = value === "read" ? m.Read : value === "unread" ? !m.Read : false;
        break;
      default: {
        const all = [m.Subject, m.Text, addr([m.From]), addr(m.To), addr(m.Cc)].join("\n").toLowerCase();
        hit = all.includes(t.replace(/^"|"$/g, "").toLowerCase());
      }
    }
    return negate ? !hit : hit;
  });
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": type, "access-control-allow-origin": "*" });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function page(list: StoredMessage[], url: URL, total: number, unread: number): Record<string, unknown> {
  const start = Math.max(0, Number(url.searchParams.get("start") ?? 0) || 0);
  const limit = Math.max(1, Number(url.searchParams.get("limit") ?? 50) || 50);
  const messages = list.slice(start, start + limit).map(summary);
  return {
    total,
    unread,
    count: messages.length,
    messages_count: list.length,
    messages_unread: list.filter((m) => !m.Read).length,
    start,
    tags: [],
    messages,
  };
}

export async function startMailSink(options: MailSinkOptions): Promise<MailSink> {
  const host = options.host ?? "127.0.0.1";
  const dir = options.dir;
  const maxMessages = options.maxMessages ?? 5000;
  const log = options.log ?? ((): void => undefined);
  /** Oldest first. */
  const store: StoredMessage[] = [];

  if (dir !== undefined) {
    await mkdir(dir, { recursive: true });
    const files = (await readdir(dir)).filter((f) => f.endsWith(".eml")).sort();
    for (const file of files) {
      const match = /^(\d+)-(.+)\.eml$/.exec(file);
      if (match === null) continue;
      const raw = await readFile(path.join(dir, file));
      const mail = await simpleParser(raw);
      store.push(toMessage(match[2] ?? file, new Date(Number(match[1])), raw, mail, undefined, file));
    }
  }

  async function removeFiles(messages: StoredMessage[]): Promise<void> {
    if (dir === undefined) return;
    await Promise.all(
      messages.map(async (m) =>
        m.file === undefined ? undefined : unlink(path.join(dir, m.file)).catch(() => undefined),
      ),
    );
  }

  async function ingest(raw: Buffer, envelope: { from: string; to: string[] }): Promise<StoredMessage> {
    const created = new Date();
    const id = randomBytes(16).toString("base64url");
    const file = dir === undefined ? undefined : `${created.getTime()}-${id}.eml`;
    if (dir !== undefined && file !== undefined) await writeFile(path.join(dir, file), raw);
    const message = toMessage(id, created, raw, await simpleParser(raw), envelope, file);
    store.push(message);
    if (store.length > maxMessages) await removeFiles(store.splice(0, store.length - maxMessages));
    log(
      `received ${id} from <${envelope.from}> to ${envelope.to.map((a) => `<${a}>`).join(", ")}: ${message.Subject}`,
    );
    return message;
  }

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    banner: "Eventscope mail sink",
    size: 32 * 1024 * 1024,
    logger: false,
    onData(
      stream: SMTPServerDataStream,
      session: SMTPServerSession,
      callback: (err?: Error | null, msg?: string) => void,
    ) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (err: Error) => callback(err));
      stream.on("end", () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error("Message exceeds the size limit"), { responseCode: 552 }));
          return;
        }
        const envelope = {
          from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        ingest(Buffer.concat(chunks), envelope).then(
          (m) => callback(null, `Ok: queued as ${m.ID}`),
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
      });
    },
  });
  smtp.on("error", (err) => log(`smtp error: ${err.message}`));

  const find = (id: string): StoredMessage | undefined =>
    id === "latest" ? store[store.length - 1] : store.find((m) => m.ID === id);

  const providers = createProviderSink();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://mail-sink");
    if (await providers.handle(req, res, url.pathname)) return;
    const method = req.method ?? "GET";
    const parts = url.pathname.split("/").filter((p) => p !== "");
    const newestFirst = (): StoredMessage[] => [...store].reverse();
    const unread = (): number => store.filter((m) => !m.Read).length;

    if (url.pathname === "/livez" || url.pathname === "/readyz") return send(res, 200, "ok", "text/plain");
    if (url.pathname === "/api/v1/messages" && method === "GET") {
      return send(res, 200, page(newestFirst(), url, store.length, unread()));
    }
    if (url.pathname === "/api/v1/messages" && method === "DELETE") {
      const body = await readBody(req);
      const ids = body.trim() === "" ? [] : ((JSON.parse(body) as { IDs?: string[] }).IDs ?? []);
      const doomed = ids.length === 0 ? [...store] : store.filter((m) => ids.includes(m.ID));
      const gone = new Set(doomed);
      const keep = store.filter((m) => !gone.has(m));
      store.length = 0;
      store.push(...keep);
      await removeFiles(doomed);
      return send(res, 200, "ok", "text/plain");
    }
    if (url.pathname === "/api/v1/search" && method === "GET") {
      const query = url.searchParams.get("query") ?? "";
      const found = newestFirst().filter((m) => matches(m, query));
      return send(res, 200, page(found, url, store.length, unread()));
    }
    if (
      parts[0] === "api" &&
      parts[1] === "v1" &&
      parts[2] === "message" &&
      parts[3] !== undefined &&
      method === "GET"
    ) {
      const m = find(decodeURIComponent(parts[3]));
      if (m === undefined) return send(res, 404, "message not found", "text/plain");
      if (parts[4] === undefined) {
        m.Read = true;
        return send(res, 200, detail(m));
      }
      if (parts[4] === "headers") return send(res, 200, m.Headers);
      if (parts[4] === "raw" && dir !== undefined && m.file !== undefined) {
        return send(res, 200, await readFile(path.join(dir, m.file), "utf8"), "message/rfc822");
      }
    }
    return send(res, 404, "not found", "text/plain");
  }

  const api = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, String(err), "text/plain"));
  });

  await new Promise<void>((resolve, reject) => {
    smtp.server.once("error", reject);
    smtp.listen(options.smtpPort, host, () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    api.once("error", reject);
    api.listen(options.apiPort, host, () => resolve());
  });

  return {
    smtpPort: (smtp.server.address() as AddressInfo).port,
    apiPort: (api.address() as AddressInfo).port,
    messages: () => [...store].reverse(),
    close: async () => {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      api.closeAllConnections();
      await new Promise<void>((resolve) => api.close(() => resolve()));
    },
  };
}

if (import.meta.main) {
  const env = process.env;
  const host = env.MAIL_HOST ?? "127.0.0.1";
  const dir = env.MAIL_DIR ?? path.join(env.EVENTSCOPE_HOME ?? ".eventscope", "mail");
  const log = (line: string): void => console.log(`${new Date().toISOString()} ${line}`);
  startMailSink({
    host,
    smtpPort: Number(env.SMTP_PORT ?? 1025),
    apiPort: Number(env.MAIL_API_PORT ?? 8025),
    dir,
    maxMessages: Number(env.MAIL_MAX_MESSAGES ?? 5000),
    log,
  }).then(
    (sink) => {
      log(
        `mail-sink: SMTP ${host}:${sink.smtpPort}, API http://${host}:${sink.apiPort}, ` +
          `${sink.messages().length} message(s) in ${dir}`,
      );
      const stop = (): void => {
        log("mail-sink: stopping");
        sink.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    },
    (err: unknown) => {
      console.error(`mail-sink failed to start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
