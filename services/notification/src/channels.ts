// How each channel sends one delivery: e-mail over SMTP (nodemailer, pooled), SMS and push as a
// JSON POST to their provider, webhooks as a signed POST of the committed event.
import nodemailer from "nodemailer";
import { ATTR_HTTP_RESPONSE_STATUS_CODE, trace } from "@eventscope/platform";
import type { ClaimedDelivery } from "./deliveries.ts";
import { webhookHeaders } from "./signature.ts";

/** A failed attempt; `retriable: false` when no later attempt can succeed. */
export class SendError extends Error {
  readonly retriable: boolean;
  constructor(message: string, retriable = true, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SendError";
    this.retriable = retriable;
  }
}

export interface ChannelOptions {
  smtpHost: string;
  smtpPort: number;
  smtpFrom: string;
  smsProviderUrl: string;
  pushProviderUrl: string;
  webhookTimeoutMs: number;
  dispatchConcurrency: number;
}

export type TraceHeaders = { traceparent?: string; tracestate?: string };

export interface Channels {
  send(delivery: ClaimedDelivery, trace: TraceHeaders): Promise<void>;
  close(): void;
}

export function createChannels(options: ChannelOptions): Channels {
  const timeout = options.webhookTimeoutMs;
  const mail = nodemailer.createTransport({
    host: options.smtpHost,
    port: options.smtpPort,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: options.dispatchConcurrency,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });

  async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
    let response: Response;
    try {
      response = await fetch(url, { method: "POST", body, headers, signal: AbortSignal.timeout(timeout) });
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new SendError(
        timedOut ? `timed out after ${timeout} ms` : (cause ?? (error as Error).message),
        true,
        {
          cause: error,
        },
      );
    }
    trace.getActiveSpan()?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status < 200 || response.status > 299) throw new SendError(`HTTP ${response.status}`);
  }

  return {
    async send(d, traceHeaders) {
      switch (d.channel) {
        case "email":
          await mail.sendMail({
            from: options.smtpFrom,
            to: d.target,
            subject: d.subject ?? d.eventType,
            text: d.body ?? "",
            // A resend after a crash carries the same Message-ID, so mail clients fold the copies.
            messageId: `<${d.id}@eventscope.local>`,
            headers: {
              "X-Eventscope-Event-Id": d.eventId,
              "X-Eventscope-Delivery-Id": d.id,
              ...(traceHeaders.traceparent ? { traceparent: traceHeaders.traceparent } : {}),
            },
          });
          return;
        case "sms":
        case "push": {
          const url = d.channel === "sms" ? options.smsProviderUrl : options.pushProviderUrl;
          const body = JSON.stringify({ to: d.target, text: d.body ?? "", eventId: d.eventId, rule: d.rule });
          await post(url, body, { "content-type": "application/json", ...traceHeaders });
          return;
        }
        case "webhook": {
          if (d.secret === null) throw new SendError("the subscription was deleted", false);
          const body = JSON.stringify(d.event);
          const timestamp = Math.floor(Date.now() / 1000);
          const headers = webhookHeaders({
            deliveryId: d.id,
            eventId: d.eventId,
            secret: d.secret,
            body,
            timestamp,
          });
          await post(d.target, body, { ...headers, ...traceHeaders });
          return;
        }
      }
    },
    close: () => mail.close(),
  };
}
