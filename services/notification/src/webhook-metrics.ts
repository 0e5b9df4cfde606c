// The webhook policy's own series, registered beside the shared catalogue on the service's
// registry. Labels are bounded: a stage, an address class, a status.
import client from "prom-client";
import type { MetricsRegistry } from "@eventscope/platform";
import type { AddressClass } from "./webhook-policy.ts";

export const refusedClasses: readonly (AddressClass | "unresolvable")[] = [
  "loopback",
  "private",
  "link-local",
  "multicast",
  "unspecified",
  "cgnat",
  "metadata",
  "reserved",
  "unresolvable",
];

export function createWebhookMetrics(registry: MetricsRegistry = new client.Registry()) {
  const registers = [registry];
  const out = {
    targetsRefused: new client.Counter({
      name: "webhook_targets_refused_total",
      help: "Webhook targets refused by the policy, at subscription or at send time",
      labelNames: ["stage", "class"],
      registers,
    }),
    switchedOff: new client.Counter({
      name: "webhook_subscriptions_switched_off_total",
      help: "Webhook subscriptions switched off after using up their failure budget",
      labelNames: [],
      registers,
    }),
    subscriptions: new client.Gauge({
      name: "webhook_subscriptions",
      help: "Webhook subscriptions by status (active, disabled)",
      labelNames: ["status"],
      registers,
    }),
  };
  // Known series start at 0, so the first refusal or switch-off is a rate.
  for (const stage of ["subscribe", "send"])
    for (const c of refusedClasses) out.targetsRefused.inc({ stage, class: c }, 0);
  out.switchedOff.inc(0);
  return out;
}

export type WebhookMetrics = ReturnType<typeof createWebhookMetrics>;
