import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import nodemailer from "nodemailer";
import { testEnv } from "../src/test-env.ts";

interface Summary {
  ID: string;
  From: { Address: string };
  To: { Address: string }[];
  Subject: string;
  Created: string;
  Snippet: string;
}

describe("SMTP sink and its mail API", () => {
  it("returns through the mail API an e-mail sent over SMTP, with text, HTML and headers", async () => {
    const marker = randomUUID();
    const to = `customer-${marker}@example.test`;
    const transport = nodemailer.createTransport({
      host: testEnv.smtpHost,
      port: testEnv.smtpPort,
      secure: false,
    });
    const info = await transport.sendMail({
      from: "Eventscope <notifications@eventscope.test>",
      to,
      subject: `Order confirmed ${marker}`,
      text: `Hello, your order ${marker} is confirmed.`,
      html: `<p>Hello, your order <b>${marker}</b> is confirmed.</p>`,
      headers: { "X-Eventscope-Trace": marker },
    });
    transport.close();
    expect(info.accepted).toEqual([to]);

    const list = (await (await fetch(`${testEnv.mailApiUrl}/api/v1/messages?limit=1000`)).json()) as {
      total: number;
      messages: Summary[];
    };
    const summary = list.messages.find((m) => m.To.some((a) => a.Address === to));
    expect(summary).toBeDefined();
    expect(summary?.From.Address).toBe("notifications@eventscope.test");
    expect(summary?.Subject).toBe(`Order confirmed ${marker}`);
    expect(summary?.Snippet).toContain(marker);
    expect(Number.isNaN(Date.parse(summary?.Created ?? ""))).toBe(false);
    expect(list.total).toBeGreaterThanOrEqual(1);

    const message = (await (await fetch(`${testEnv.mailApiUrl}/api/v1/message/${summary?.ID}`)).json()) as {
      Text: string;
      HTML: string;
      Headers: Record<string, string[]>;
    };
    expect(message.Text).toContain(`your order ${marker} is confirmed`);
    expect(message.HTML).toContain(`<b>${marker}</b>`);
    expect(message.Headers["X-Eventscope-Trace"]).toEqual([marker]);

    const search = (await (
      await fetch(`${testEnv.mailApiUrl}/api/v1/search?query=${encodeURIComponent(`to:${to}`)}`)
    ).json()) as { messages: Summary[] };
    expect(search.messages.map((m) => m.ID)).toEqual([summary?.ID]);

    const del = await fetch(`${testEnv.mailApiUrl}/api/v1/messages`, {
      method: "DELETE",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ IDs: [summary?.ID] }),
    });
    expect(del.status).toBe(200);
    const gone = await fetch(`${testEnv.mailApiUrl}/api/v1/message/${summary?.ID}`);
    expect(gone.status).toBe(404);
  });
});
