// Sends due deliveries: claims them under a lease, sends each in a CLIENT span whose parent is
// the consumer span of its event (so the webhook call joins the event's trace), and records
// the outcome: delivered, retrying after a jittered backoff, or dead. Send slots are per lane
// (each channel, each webhook subscription), so a slow or dead endpoint holds only its own;
// each webhook outcome also counts against its subscription's failure budget.
import { subjectErasedBy } from "@eventscope/contracts";
import {
  context,
  extractContext,
  failSpan,
  SpanKind,
  trace,
  traceHeaders,
  ATTR_EVENT_ID,
  ATTR_EVENT_TYPE,
  ATTR_SERVER_ADDRESS,
  type Logger,
  type Metrics,
  type Pool,
  type Span,
} from "@eventscope/platform";
import type { Tracer } from "@opentelemetry/api";
import { afterFailure, type RetryPolicy } from "./backoff.ts";
import { SendError, type Channels, type SendableDelivery } from "./channels.ts";
import {
  buryExpired,
  claimDue,
  laneOf,
  markDelivered,
  markFailed,
  type ClaimedDelivery,
} from "./deliveries.ts";
import { cancelErased } from "./erasure.ts";
import type { Recipients } from "./recipients.ts";
import type { SecretBox } from "./secret-box.ts";
import { recordFailure, recordSuccess, type FailureBudget } from "./subscription-health.ts";
import type { WebhookMetrics } from "./webhook-metrics.ts";

export interface DispatcherDeps {
  pool: Pool;
  channels: Channels;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  retry: RetryPolicy;
  intervalMs: number;
  /** Send slots per channel (e-mail, SMS, push). */
  concurrency: number;
  /** Send slots per webhook subscription. */
  webhookConcurrency: number;
  leaseMs: number;
  secrets: SecretBox;
  failureBudget: FailureBudget;
  webhookMetrics: WebhookMetrics;
  /** Replaces a fallback target by the customer's own address, number or device. */
  recipients?: Recipients;
}

const spanName = { email: "smtp send", sms: "sms POST", push: "push POST", webhook: "webhook POST" };
// Webhook rules carry a subscription id: one label value for all keeps the series bounded.
const ruleLabel = (d: ClaimedDelivery) => (d.channel === "webhook" ? "webhook" : d.rule);
const logFields = (d: ClaimedDelivery) => ({
  eventId: d.eventId,
  correlationId: d.correlationId,
  deliveryId: d.id,
  channel: d.channel,
  attempts: d.attempts,
});
const hostOf = (target: string) => URL.parse(target)?.host ?? target.split("@")[1] ?? "";

export function createDispatcher(deps: DispatcherDeps) {
  const { pool, channels, logger, metrics, tracer, retry } = deps;
  let inFlight = 0;
  const busy = new Map<string, number>();
  // Enough for every channel lane and a good number of subscriptions in one round.
  const roundLimit = Math.max(64, deps.concurrency * 3 + deps.webhookConcurrency * 32);

  /** The subscription's secret opened for signing; null when the subscription is gone. */
  const withSecret = (d: ClaimedDelivery): SendableDelivery => ({
    ...d,
    secret: d.sealedSecret ? deps.secrets.open(d.sealedSecret, d.subscriptionId!) : d.clearSecret,
  });
  let ticking = false;
  let again = false;
  let stopped = false;

  async function attempt(claimed: ClaimedDelivery): Promise<void> {
    let d = claimed;
    if (deps.recipients) {
      const { target, recipient, customerId } = await deps.recipients.resolve(claimed);
      d = { ...claimed, target };
      // Fenced by the attempt, and refused for an erased customer: a delivery cancelled by an
      // erasure since it was claimed is not sent (the deletion or erasure itself is).
      const recorded = await pool
        .query(
          `UPDATE deliveries SET target = $2, recipient = $3, customer_id = coalesce($4, customer_id)
           WHERE id = $1 AND status = 'sending' AND attempts = $5
             AND ($6 OR NOT EXISTS (SELECT 1 FROM erased_customers e
                                    WHERE e.customer_id = coalesce($4, deliveries.customer_id)))`,
          [d.id, target, recipient, customerId ?? null, d.attempts, subjectErasedBy(d.event) !== undefined],
        )
        .then((result) => result.rowCount ?? 0)
        .catch((error: unknown) => {
          logger.warn({ err: error, deliveryId: d.id }, "could not record the recipient");
          return 1;
        });
      if (recorded === 0) {
        await cancelErased(pool, d.id, customerId).catch((error: unknown) =>
          logger.warn(
            { err: error, deliveryId: d.id },
            "could not cancel the delivery of an erased customer",
          ),
        );
        logger.info({ deliveryId: d.id }, "not sent: cancelled, claimed again, or its customer erased");
        return;
      }
    }
    const parent = extractContext(d.traceparent ? { traceparent: d.traceparent } : {});
    const span = tracer.startSpan(
      spanName[d.channel],
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_EVENT_ID]: d.eventId,
          [ATTR_EVENT_TYPE]: d.eventType,
          [ATTR_SERVER_ADDRESS]: d.channel === "webhook" ? hostOf(d.target) : "",
          "eventscope.notification.channel": d.channel,
          "eventscope.notification.rule": d.rule,
          "eventscope.delivery.id": d.id,
          "eventscope.delivery.attempt": d.attempts,
        },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    const started = performance.now();
    try {
      await context.with(ctx, () => channels.send(withSecret(d), traceHeaders(ctx)));
    } catch (error) {
      await failed(d, error, span);
      return;
    } finally {
      metrics.notificationDuration.observe({ channel: d.channel }, (performance.now() - started) / 1000);
    }
    try {
      const deliveredAt = await markDelivered(pool, d);
      if (d.subscriptionId) await recordSuccess(pool, d.subscriptionId);
      metrics.notificationsSent.inc({ channel: d.channel, rule: ruleLabel(d) });
      if (deliveredAt) {
        const acceptedAt = d.acceptedAt?.getTime() ?? deliveredAt.getTime();
        metrics.stageLatency.observe({
          labels: { stage: "notified" },
          value: Math.max(0, deliveredAt.getTime() - acceptedAt) / 1000,
          exemplarLabels: { trace_id: span.spanContext().traceId },
        });
      }
      context.with(ctx, () => logger.info({ ...logFields(d), rule: d.rule }, "notification delivered"));
    } catch (error) {
      // Sent but not recorded: the lease expires and it is sent again (receivers dedupe by id).
      context.with(ctx, () => logger.warn({ ...logFields(d), err: error }, "could not record a delivery"));
    } finally {
      span.end();
    }
  }

  async function failed(d: ClaimedDelivery, error: unknown, span: Span): Promise<void> {
    failSpan(span, error);
    span.end();
    metrics.notificationErrors.inc({ channel: d.channel });
    const message = (error as Error).message || String(error);
    const permanent = error instanceof SendError && !error.retriable;
    const outcome = permanent ? { status: "dead" as const } : afterFailure(d.attempts, retry);
    const fields = { ...logFields(d), error: message, outcome: outcome.status };
    const inSpan = (log: () => void) => context.with(trace.setSpan(context.active(), span), log);
    if (error instanceof SendError && error.refusedClass)
      deps.webhookMetrics.targetsRefused.inc({ stage: "send", class: error.refusedClass });
    try {
      await markFailed(pool, d, outcome, message);
      inSpan(() => logger.warn(fields, "delivery attempt failed"));
      const switchedOff = d.subscriptionId
        ? await recordFailure(pool, d.subscriptionId, message, deps.failureBudget)
        : undefined;
      if (switchedOff) {
        deps.webhookMetrics.switchedOff.inc();
        inSpan(() =>
          logger.warn(
            { subscriptionId: d.subscriptionId, reason: switchedOff },
            "webhook subscription switched off",
          ),
        );
      }
    } catch (e) {
      context.with(trace.setSpan(context.active(), span), () =>
        logger.warn({ ...fields, err: e }, "could not record a failed attempt; its lease will expire"),
      );
    }
  }

  async function tick(): Promise<void> {
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      do {
        again = false;
        await buryExpired(pool, retry.maxAttempts);
        while (!stopped) {
          const claimed = await claimDue(pool, {
            limit: roundLimit,
            leaseMs: deps.leaseMs,
            maxAttempts: retry.maxAttempts,
            perChannel: deps.concurrency,
            perSubscription: deps.webhookConcurrency,
            busy,
          });
          for (const d of claimed) {
            const lane = laneOf(d);
            busy.set(lane, (busy.get(lane) ?? 0) + 1);
            inFlight++;
            void attempt(d).finally(() => {
              inFlight--;
              const left = (busy.get(lane) ?? 1) - 1;
              if (left > 0) busy.set(lane, left);
              else busy.delete(lane);
              wake();
            });
          }
          if (claimed.length < roundLimit) break;
        }
      } while (again && !stopped);
    } catch (error) {
      logger.warn({ err: error }, "dispatch round failed; trying again");
    } finally {
      ticking = false;
    }
  }

  const wake = () => void (stopped ? undefined : tick());
  let timer: NodeJS.Timeout | undefined;

  return {
    start() {
      timer = setInterval(wake, deps.intervalMs);
      wake();
    },
    /** Called when new deliveries were recorded, so they go out without waiting for the timer. */
    wake,
    inFlight: () => inFlight,
    async stop(timeoutMs = 10_000) {
      stopped = true;
      clearInterval(timer);
      const deadline = Date.now() + timeoutMs;
      while ((inFlight > 0 || ticking) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
