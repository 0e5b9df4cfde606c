// Webhook subscriptions over HTTP: create (the secret is shown once), list, read, delete.
import { notFound, type Pool, type Route } from "@eventscope/platform";
import { uuid } from "./params.ts";
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  parseSubscription,
  withoutSecret,
} from "./subscriptions.ts";

export const subscriptionRoutes = (pool: Pool): Route[] => [
  {
    method: "POST",
    path: "/api/subscriptions",
    accepts: ["application/json"],
    handler: async ({ body }) => ({
      status: 201,
      body: await createSubscription(pool, parseSubscription(body)),
    }),
  },
  {
    method: "GET",
    path: "/api/subscriptions",
    handler: async () => {
      const subscriptions = (await listSubscriptions(pool)).map(withoutSecret);
      return { status: 200, body: { count: subscriptions.length, subscriptions } };
    },
  },
  {
    method: "GET",
    path: "/api/subscriptions/:id",
    handler: async ({ params }) => {
      const found = await getSubscription(pool, uuid(params.id, "id"));
      if (!found) throw notFound(`no subscription ${params.id}`);
      return { status: 200, body: withoutSecret(found) };
    },
  },
  {
    method: "DELETE",
    path: "/api/subscriptions/:id",
    handler: async ({ params }) => {
      if (!(await deleteSubscription(pool, uuid(params.id, "id"))))
        throw notFound(`no subscription ${params.id}`);
      return { status: 204 };
    },
  },
];
