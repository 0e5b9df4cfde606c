// Webhook subscriptions over HTTP: create (the target checked by the webhook policy, the secret
// shown once), list, read (with its switch history), delete, and switch on again after the
// failure budget switched it off.
import { conflict, notFound, type Pool, type Route } from "@eventscope/platform";
import { randomBytes } from "node:crypto";
import { uuid } from "./params.ts";
import { createSecretBox, type SecretBox } from "./secret-box.ts";
import { switchHistory, switchOn } from "./subscription-health.ts";
import {
  checkSubscriptionUrl,
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  parseSubscription,
} from "./subscriptions.ts";
import { createWebhookMetrics, type WebhookMetrics } from "./webhook-metrics.ts";
import { emptyAllowList } from "./webhook-policy.ts";
import { createResolve, type TargetPolicy } from "./webhook-target.ts";

export interface SubscriptionRouteDeps {
  pool: Pool;
  policy: TargetPolicy;
  secrets: SecretBox;
  webhookMetrics: WebhookMetrics;
}

/** Public addresses only, a throwaway key and unregistered metrics. */
export const defaultWebhooks = (): Omit<SubscriptionRouteDeps, "pool"> => ({
  policy: { allow: emptyAllowList, resolve: createResolve([]) },
  secrets: createSecretBox(randomBytes(32)),
  webhookMetrics: createWebhookMetrics(),
});

export const subscriptionRoutes = ({
  pool,
  policy,
  secrets,
  webhookMetrics,
}: SubscriptionRouteDeps): Route[] => {
  const checkUrl = (url: string) =>
    checkSubscriptionUrl(policy, url, (refused) =>
      webhookMetrics.targetsRefused.inc({ stage: "subscribe", class: refused }),
    );
  return [
    {
      method: "POST",
      path: "/api/subscriptions",
      scope: "admin",
      accepts: ["application/json"],
      handler: async ({ body }) => {
        const input = parseSubscription(body);
        await checkUrl(input.url);
        return { status: 201, body: await createSubscription(pool, secrets, input) };
      },
    },
    {
      method: "GET",
      path: "/api/subscriptions",
      scope: "admin",
      handler: async () => {
        const subscriptions = await listSubscriptions(pool);
        return { status: 200, body: { count: subscriptions.length, subscriptions } };
      },
    },
    {
      method: "GET",
      path: "/api/subscriptions/:id",
      scope: "admin",
      handler: async ({ params }) => {
        const found = await getSubscription(pool, uuid(params.id, "id"));
        if (!found) throw notFound(`no subscription ${params.id}`);
        return { status: 200, body: { ...found, switches: await switchHistory(pool, found.id) } };
      },
    },
    {
      method: "DELETE",
      path: "/api/subscriptions/:id",
      scope: "admin",
      handler: async ({ params }) => {
        if (!(await deleteSubscription(pool, uuid(params.id, "id"))))
          throw notFound(`no subscription ${params.id}`);
        return { status: 204 };
      },
    },
    {
      method: "POST",
      path: "/api/subscriptions/:id/enable",
      scope: "admin",
      handler: async ({ params }) => {
        const found = await getSubscription(pool, uuid(params.id, "id"));
        if (!found) throw notFound(`no subscription ${params.id}`);
        if (found.status === "active")
          throw conflict(`subscription ${found.id} is active; only a disabled one can be switched on`, {
            subscriptionStatus: found.status,
          });
        // The policy may have changed since it was made: it must still admit the target.
        await checkUrl(found.url);
        const enabled = await switchOn(pool, found.id, "switched on by an admin");
        if (!enabled) throw conflict(`subscription ${found.id} was switched on meanwhile`);
        return { status: 200, body: { ...enabled, switches: await switchHistory(pool, found.id) } };
      },
    },
  ];
};
