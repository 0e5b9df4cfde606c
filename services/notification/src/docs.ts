// The notification service's part of the documents: webhook subscriptions (and the policy their
// targets must pass), delivery records and replays, the signed request a subscriber receives.
import { notificationRules } from "@eventscope/contracts";
import { asyncOperation } from "../../../docs/lib/asyncapi.ts";
import {
  content,
  okResponse,
  param,
  pathParam,
  pRef,
  problemResponse,
  problems,
  responseRef,
  consumingStubs,
  routeTableDeps,
  type Operation,
  type ServiceDocs,
} from "../../../docs/lib/openapi.ts";
import { deadLetterOperations } from "../../../docs/lib/platform.ts";
import {
  arrayOf,
  dateTime,
  enumOf,
  int,
  object,
  orNull,
  record,
  ref,
  str,
  uuid,
  type Json,
} from "../../../docs/lib/schema.ts";
import { createNotificationApp } from "./app.ts";
import { notificationSettings } from "./config.ts";
import { deliveryStatuses } from "./deliveries.ts";
import { channels } from "./plan.ts";

/** services/notification/src/recipients.ts (`Recipient`) and its migration's CHECK. */
const deliveryRecipients = ["event", "customer", "default", "subscription"];

const webhookPolicyNote =
  "The webhook policy: the URL's host is resolved and every address it resolves to is judged; an " +
  "address that is loopback (127.0.0.0/8, ::1, `localhost` and `*.localhost`), private (10/8, " +
  "172.16/12, 192.168/16, fc00::/7, fec0::/10), link-local (169.254/16, fe80::/10), multicast, " +
  "unspecified (0.0.0.0/8, ::), CGNAT (100.64/10), reserved (documentation and benchmark ranges, 240/4, " +
  "100::/64, 2001:db8::/32) or a cloud metadata address (169.254.169.254, fd00:ec2::254, 169.254.170.2, 100.100.100.200, " +
  "168.63.129.16) is refused unless WEBHOOK_ALLOWED_TARGETS admits it (a CIDR, or host:port). Numeric " +
  "spellings (0x7f000001, 0177.0.0.1) count as the address they are; IPv4-mapped, IPv4-compatible, " +
  "NAT64 and 6to4 addresses are judged by the IPv4 address inside. One refused address refuses the " +
  "whole name.";

function operations(): Operation[] {
  const id = { id: pathParam("Id", uuid()) };
  const rules = [...new Set(notificationRules().map((r) => r.name))];
  return [
    {
      service: "notification",
      method: "POST",
      path: "/api/subscriptions",
      operationId: "createSubscription",
      summary: "Subscribe a webhook to event types",
      description:
        "Deliveries are POSTed as signed requests (see the `committedEvent` webhook). The secret is shown " +
        "only in this answer; it is stored sealed (AES-256-GCM under WEBHOOK_SECRET_KEY, bound to the " +
        "subscription's id).\n\n" +
        webhookPolicyNote +
        " A refused target is a 400 naming `url` (`refused: 10.0.0.5 is a private address; not in " +
        "WEBHOOK_ALLOWED_TARGETS`), as is a host that does not resolve (`does not resolve (ENOTFOUND)`); " +
        "a resolver that did not answer is a 503 with Retry-After. Nothing is stored for a refusal.",
      requestBody: { required: true, content: content(ref("SubscriptionRequest")) },
      responses: {
        "201": okResponse("Created", ref("CreatedSubscription")),
        ...problems(413, 415),
        "503": responseRef("ResolverUnavailable"),
      },
    },
    {
      service: "notification",
      method: "GET",
      path: "/api/subscriptions",
      operationId: "listSubscriptions",
      summary: "Webhook subscriptions (without secrets), switched-off ones included",
      responses: { "200": okResponse("Subscriptions, oldest first", ref("SubscriptionList")), ...problems() },
    },
    {
      service: "notification",
      method: "GET",
      path: "/api/subscriptions/:id",
      operationId: "getSubscription",
      summary: "One webhook subscription (without its secret), with its switch history",
      pathParams: id,
      responses: {
        "200": okResponse("The subscription", ref("SubscriptionDetail")),
        ...problems(404),
      },
    },
    {
      service: "notification",
      method: "DELETE",
      path: "/api/subscriptions/:id",
      operationId: "deleteSubscription",
      summary: "Delete a webhook subscription",
      description: "Its pending deliveries then fail for good.",
      pathParams: id,
      responses: { "204": { description: "Deleted" }, ...problems(404) },
    },
    {
      service: "notification",
      method: "POST",
      path: "/api/subscriptions/:id/enable",
      operationId: "enableSubscription",
      summary: "Switch a disabled webhook subscription on again",
      description:
        "A subscription whose attempts failed WEBHOOK_FAILURE_BUDGET " +
        `(${notificationSettings.failureBudget.default}) times in a row, over at least ` +
        "WEBHOOK_FAILURE_WINDOW_MS " +
        `(${notificationSettings.failureWindowMs.default}), is switched off: status \`disabled\` with ` +
        "`disabledReason`, its waiting deliveries dead (`subscription switched off`), nothing planned for " +
        "it. This switches it on with a clean count and records the switch. Its URL is checked against " +
        "the webhook policy again first (the policy may have changed): a URL no longer admitted is a 400 " +
        "naming `url`, a resolver that did not answer a 503. Takes no body.",
      pathParams: id,
      responses: {
        "200": okResponse(
          "The subscription, active again, with its switch history",
          ref("SubscriptionDetail"),
        ),
        ...problems(404),
        "409": problemResponse(
          "The subscription is active (`subscriptionStatus`), or was switched on meanwhile: only a " +
            "disabled one can be switched on",
        ),
        "503": responseRef("ResolverUnavailable"),
      },
    },
    {
      service: "notification",
      method: "GET",
      path: "/api/deliveries",
      operationId: "listDeliveries",
      summary: "Delivery records (one per event, rule and channel)",
      parameters: [
        param("eventId", "query", uuid(), "Only deliveries of this event"),
        param("status", "query", enumOf(deliveryStatuses), "Only deliveries in this status"),
        param("channel", "query", enumOf(channels), "Only deliveries on this channel"),
        param(
          "rule",
          "query",
          str("", { examples: rules }),
          "Only deliveries of this rule (or `webhook` subscription)",
        ),
        pRef("Limit"),
      ],
      responses: { "200": okResponse("Deliveries, newest first", ref("DeliveryList")), ...problems(400) },
    },
    {
      service: "notification",
      method: "GET",
      path: "/api/deliveries/:id",
      operationId: "getDelivery",
      summary: "One delivery record",
      pathParams: id,
      responses: { "200": okResponse("The delivery", ref("Delivery")), ...problems(400, 404) },
    },
    {
      service: "notification",
      method: "POST",
      path: "/api/deliveries/:id/replay",
      operationId: "replayDelivery",
      summary: "Send a dead delivery again",
      description: "The delivery goes back to pending with its attempts reset; 409 when it is not dead.",
      pathParams: id,
      responses: {
        "200": okResponse("The delivery, pending again", ref("Delivery")),
        ...problems(400, 404, 409),
      },
    },
    ...deadLetterOperations(
      "notification",
      "/api/notification/dead-letters",
      "notification",
      "events.committed",
    ),
  ];
}

function schemas(): Record<string, Json> {
  const subscription = {
    id: uuid(),
    url: str("Where deliveries are POSTed", { format: "uri" }),
    eventTypes: arrayOf(str(), 'Event types delivered, or `["*"]` for all'),
    status: enumOf(
      ["active", "disabled"],
      "`disabled` once the failure budget is used up: nothing is planned or sent for it until enabled",
    ),
    consecutiveFailures: int("Failed attempts since the last success"),
    failingSince: orNull(dateTime("First failed attempt of the current run of failures")),
    disabledAt: orNull(dateTime("When it was switched off")),
    disabledReason: orNull(str("Why it was switched off (the count, since when, the last error)")),
    createdAt: dateTime(),
  };
  return {
    SubscriptionRequest: object(
      {
        url: str(
          "Absolute http or https URL the deliveries are POSTed to, without credentials. Its host must " +
            "resolve, and only to addresses the webhook policy admits (see POST /api/subscriptions)",
          { format: "uri" },
        ),
        eventTypes: {
          ...arrayOf(str("", { minLength: 1 }), 'Event types to deliver, or `["*"]` for all'),
          minItems: 1,
        },
        secret: str("HMAC secret (generated when absent; at least 16 characters)", { minLength: 16 }),
      },
      ["url", "eventTypes"],
    ),
    Subscription: record(subscription, "A webhook subscription (listings leave the secret out)."),
    SubscriptionDetail: record(
      {
        ...subscription,
        switches: arrayOf(
          record({
            status: enumOf(["active", "disabled"]),
            reason: str("Why (the failure budget's count and last error, or who switched it on)"),
            at: dateTime(),
          }),
          "Every switch-off and switch-on, oldest first",
        ),
      },
      "A webhook subscription with its switch history (without its secret).",
    ),
    CreatedSubscription: record(
      { ...subscription, secret: str("The signing secret: shown once, in this answer") },
      "The new subscription, with its secret.",
    ),
    SubscriptionList: record({ count: int(), subscriptions: arrayOf(ref("Subscription")) }),
    Delivery: record({
      id: uuid(),
      eventId: uuid(),
      eventType: str(),
      rule: str("Notification rule, or the webhook subscription it is for"),
      channel: enumOf(channels),
      status: enumOf(
        deliveryStatuses,
        "`cancelled`: not delivered and never to be, its customer's personal data erased (CustomerDeleted " +
          "or CustomerErased); `lastError` names the erasing event",
      ),
      attempts: int(),
      lastError: orNull(
        str(
          "The last failure, e.g. `HTTP 503`, `HTTP 302: redirect to <Location> not followed`, " +
            "`target refused: …` (the webhook policy, at send time), `subscription switched off` or " +
            "`cancelled: the customer's personal data was erased (<event type> <event id>)`",
        ),
      ),
      createdAt: dateTime(),
      deliveredAt: orNull(dateTime()),
      nextAttemptAt: orNull(dateTime("When the next attempt is due (pending and retrying only)")),
      target: str(
        "E-mail address, phone or device, or webhook URL: as planned, or the customer's own once looked up at " +
          "send; `[erased]` once the customer it concerns is erased",
      ),
      recipient: orNull(
        enumOf(
          deliveryRecipients,
          "Where `target` came from, set at each send: `event` (the address or number the event carries), " +
            "`customer` (a planned fallback replaced by the customer's own e-mail, phone or device from the " +
            "customer read model, found through the event's customer, its order, or its payment's order), " +
            "`default` (the fallback stands: EMAIL_TO_DEFAULT, or the user or aggregate for SMS and push; " +
            "nothing found or the read side unreachable), `subscription` (a webhook); null before the first " +
            "send",
        ),
      ),
    }),
    DeliveryList: record({ count: int(), deliveries: arrayOf(ref("Delivery"), "Newest first") }),
  };
}

export const notificationDocs: ServiceDocs = {
  service: "notification",
  title: "Notification",
  port: notificationSettings.port.default,
  description:
    "Consumes `events.committed`, applies the notification rules and webhook subscriptions, and records " +
    "and sends every delivery (e-mail over SMTP, SMS, push, signed webhooks) with retries and a dead state.",
  consumer: true,
  routes: () =>
    createNotificationApp({
      ...routeTableDeps("notification"),
      ...consumingStubs,
      onReplayed: () => undefined,
    }).routes,
  operations,
  schemas,
  webhooks: () => ({
    committedEvent: {
      post: {
        operationId: "webhookDelivery",
        tags: ["notification"],
        summary: "A committed event, POSTed to a subscription's URL",
        description:
          "The body is the committed event, signed like Stripe webhooks: `x-eventscope-signature` is " +
          '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the subscription\'s secret>`. ' +
          "A 2xx answer marks the delivery delivered; anything else (or no answer in time) is retried with " +
          "exponential backoff, and after the last attempt the delivery is dead (replayable). A 3xx is a " +
          "failed attempt (redirects are never followed) and at most WEBHOOK_MAX_RESPONSE_BYTES " +
          `(${notificationSettings.maxResponseBytes.default}) of any answer is read.\n\n` +
          "The target is checked against the webhook policy again on every send, inside the socket's own " +
          "lookup, and the connection goes to the addresses checked (a name rebound to 127.0.0.1 since it " +
          "was subscribed is refused): a refused target, or a name that no longer resolves, makes the " +
          "delivery dead at once (`target refused: …`); a resolver that did not answer is a failed " +
          "attempt, retried. Each subscription has its own send slots (WEBHOOK_CONCURRENCY, " +
          `${notificationSettings.webhookConcurrency.default}), so a slow endpoint delays no other. After ` +
          `WEBHOOK_FAILURE_BUDGET (${notificationSettings.failureBudget.default}) consecutive failed ` +
          "attempts spanning at least WEBHOOK_FAILURE_WINDOW_MS " +
          `(${notificationSettings.failureWindowMs.default}) the subscription is switched off ` +
          "(POST /api/subscriptions/{id}/enable switches it on).",
        parameters: [
          param("x-eventscope-event-id", "header", uuid(), "The event's id", true),
          param(
            "x-eventscope-delivery-id",
            "header",
            uuid(),
            "The delivery's id (the same on each retry)",
            true,
          ),
          param(
            "x-eventscope-timestamp",
            "header",
            str("", { pattern: "^[0-9]+$" }),
            "Unix seconds of the signature",
            true,
          ),
          param(
            "x-eventscope-signature",
            "header",
            str("", { pattern: "^t=[0-9]+,v1=[0-9a-f]{64}$" }),
            "The signature",
            true,
          ),
          param("traceparent", "header", str(), "W3C trace context of the event's trace"),
        ],
        requestBody: { required: true, content: content(ref("CommittedEvent")) },
        responses: {
          "2XX": { description: "Delivered" },
          default: { description: "Failed: retried with backoff" },
        },
      },
    },
  }),
  messaging: () => ({
    notificationReceiveCommitted: asyncOperation(
      "receive",
      "committed",
      "committedEvent",
      "notification",
      "The notification service plans one delivery per (event, rule, channel); a CustomerDeleted or " +
        "CustomerErased redacts the customer's deliveries (address, subject, body, the event's personal " +
        "fields read `[erased]`) and cancels those not yet delivered, in the transaction that consumes it",
      notificationSettings.groupId.default,
    ),
    notificationSendDeadLetter: asyncOperation(
      "send",
      "deadletter",
      "deadLetter",
      "notification",
      "The notification service parks committed records it cannot plan",
    ),
  }),
};
