// How each channel sends one delivery: e-mail over SMTP (nodemailer, pooled), SMS and push as a
// JSON POST to their provider, webhooks as a signed POST of the committed event to a target the
// webhook policy admits (checked again here, on the address actually connected to).
import nodemailer from "nodemailer";
import { ATTR_HTTP_RESPONSE_STATUS_CODE, EventscopeError, trace } from "@eventscope/platform";
import type { ClaimedDelivery } from "./deliveries.ts";
import { createHttpPoster, PostError, type PostOptions } from "./http-post.ts";
import { webhookHeaders } from "./signature.ts";
import { addressBytes, portOf } from "./webhook-policy.ts";
import { checkTarget, pinnedLookup, TargetRefused, type TargetPolicy } from "./webhook-target.ts";

/** A failed attempt; `retriable: false` when no later attempt can succeed. */
export class SendError extends EventscopeError {
  /** The address class, when the webhook policy refused the target at send time. */
  readonly refusedClass: string | undefined;
  constructor(
    message: string,
    retriable = true,
    options?: { cause?: unknown; refusedClass?: string | undefined },
  ) {
    super(message, { code: "SEND_FAILED", retriable, cause: options?.cause });
    this.name = "SendError";
    this.refusedClass = options?.refusedClass;
  }
}

const refused = (error: TargetRefused) =>
  new SendError(`target refused: ${error.message}`, error.retriable, {
    cause: error,
    refusedClass: error.class,
  });

export interface ChannelOptions {
  smtpHost: string;
  smtpPort: number;
  smtpFrom: string;
  smsProviderUrl: string;
  pushProviderUrl: string;
  webhookTimeoutMs: number;
  dispatchConcurrency: number;
  /** At most this much of any HTTP answer is read. */
  maxResponseBytes: number;
  webhookPolicy: TargetPolicy;
}

export type TraceHeaders = { traceparent?: string; tracestate?: string };

/** A claimed delivery with its subscription's secret opened (webhooks). */
export type SendableDelivery = ClaimedDelivery & { secret: string | null };

export interface Channels {
  send(delivery: SendableDelivery, trace: TraceHeaders): Promise<void>;
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

  const poster = createHttpPoster();
  const policy = options.webhookPolicy;

  async function post(
    url: URL,
    body: string,
    headers: Record<string, string>,
    extra: Partial<PostOptions> = {},
  ) {
    let result;
    try {
      result = await poster.post(url, body, headers, {
        timeoutMs: timeout,
        maxResponseBytes: options.maxResponseBytes,
        ...extra,
      });
    } catch (error) {
      if (error instanceof TargetRefused) throw refused(error);
      const code = (error as NodeJS.ErrnoException).code;
      throw new SendError(
        error instanceof PostError ? error.message : (code ?? (error as Error).message),
        true,
        {
          cause: error,
        },
      );
    }
    trace.getActiveSpan()?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.status);
    if (result.status >= 300 && result.status < 400)
      throw new SendError(
        `HTTP ${result.status}: redirect${result.location ? ` to ${result.location}` : ""} not followed`,
      );
    if (result.status < 200 || result.status > 299) throw new SendError(`HTTP ${result.status}`);
  }

  async function postWebhook(target: string, body: string, headers: Record<string, string>) {
    const url = new URL(target);
    // An address literal never reaches the socket's lookup: it is checked here (it cannot rebind).
    if (addressBytes(url.hostname.replace(/^\[|\]$/g, "")))
      await checkTarget(policy, url).catch((error: unknown) => {
        throw error instanceof TargetRefused ? refused(error) : error;
      });
    await post(url, body, headers, { lookup: pinnedLookup(policy, portOf(url)) });
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
          await post(new URL(url), body, { "content-type": "application/json", ...traceHeaders });
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
          await postWebhook(d.target, body, { ...headers, ...traceHeaders });
          return;
        }
      }
    },
    close: () => {
      mail.close();
      poster.close();
    },
  };
}
