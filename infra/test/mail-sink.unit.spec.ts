import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import nodemailer from "nodemailer";
import { startMailSink } from "../src/mail-sink.ts";
import type { MailSink } from "../src/mail-sink.ts";

describe("mail sink (in-process, ephemeral ports)", () => {
  let dir: string;
  let sink: MailSink | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mail-sink-"));
  });
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const send = async (port: number, to: string, subject: string): Promise<void> => {
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false });
    await transport.sendMail({ from: "app@eventscope.test", to, subject, text: `body of ${subject}` });
    transport.close();
  };
  const api = async (s: MailSink, p: string, init?: RequestInit): Promise<Response> =>
    fetch(`http://127.0.0.1:${s.apiPort}${p}`, init);

  it("lists messages newest first in Mailpit's shape", async () => {
    sink = await startMailSink({ smtpPort: 0, apiPort: 0, dir });
    await send(sink.smtpPort, "a@example.test", "first");
    await send(sink.smtpPort, "b@example.test", "second");
    const body = (await (await api(sink, "/api/v1/messages")).json()) as {
      total: number;
      count: number;
      messages: { Subject: string; To: { Address: string }[]; From: { Address: string } }[];
    };
    expect(body.total).toBe(2);
    expect(body.count).toBe(2);
    expect(body.messages.map((m) => m.Subject)).toEqual(["second", "first"]);
    expect(body.messages[0]?.To).toEqual([{ Name: "", Address: "b@example.test" }]);
    expect(body.messages[0]?.From.Address).toBe("app@eventscope.test");
  });

  it("keeps messages across a restart and forgets them after DELETE /api/v1/messages", async () => {
    sink = await startMailSink({ smtpPort: 0, apiPort: 0, dir });
    await send(sink.smtpPort, "keep@example.test", "kept across restart");
    await sink.close();
    expect((await readdir(dir)).filter((f) => f.endsWith(".eml"))).toHaveLength(1);

    sink = await startMailSink({ smtpPort: 0, apiPort: 0, dir });
    const latest = (await (await api(sink, "/api/v1/message/latest")).json()) as {
      Subject: string;
      Text: string;
    };
    expect(latest.Subject).toBe("kept across restart");
    expect(latest.Text).toContain("body of kept across restart");

    expect((await api(sink, "/api/v1/messages", { method: "DELETE" })).status).toBe(200);
    const after = (await (await api(sink, "/api/v1/messages")).json()) as { total: number };
    expect(after.total).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it("finds messages by recipient and subject with the search endpoint", async () => {
    sink = await startMailSink({ smtpPort: 0, apiPort: 0, dir });
    await send(sink.smtpPort, "alice@example.test", "Invoice 1");
    await send(sink.smtpPort, "bob@example.test", "Invoice 2");
    await send(sink.smtpPort, "alice@example.test", "Welcome");
    const search = async (q: string): Promise<string[]> => {
      const body = (await (await api(sink!, `/api/v1/search?query=${encodeURIComponent(q)}`)).json()) as {
        messages: { Subject: string }[];
      };
      return body.messages.map((m) => m.Subject);
    };
    expect(await search("to:alice@example.test")).toEqual(["Welcome", "Invoice 1"]);
    expect(await search('subject:"invoice" to:bob')).toEqual(["Invoice 2"]);
    expect(await search("welcome")).toEqual(["Welcome"]);
  });

  it("answers 404 for an unknown message id", async () => {
    sink = await startMailSink({ smtpPort: 0, apiPort: 0 });
    expect((await api(sink, "/api/v1/message/does-not-exist")).status).toBe(404);
  });
});
