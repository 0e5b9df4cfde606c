// Every domain, and the lookups the services route by: event type, aggregate type.
import type { Domain, NotificationRule } from "./domain.ts";
import type { EventEnvelope } from "./envelope.ts";
import { eventAliases } from "./aliases.ts";
import { activity } from "./domains/activity.ts";
import { carts } from "./domains/carts.ts";
import { customers } from "./domains/customers.ts";
import { inventory } from "./domains/inventory.ts";
import { orders } from "./domains/orders.ts";
import { payments } from "./domains/payments.ts";
import { products } from "./domains/products.ts";
import { tasks } from "./domains/tasks.ts";

export const domains: readonly Domain[] = Object.freeze([
  tasks,
  customers,
  activity,
  carts,
  orders,
  payments,
  inventory,
  products,
] as Domain[]);

const byEventType = new Map<string, Domain>();
const byAggregateType = new Map<string, Domain>();
const freeForm: { pattern: RegExp; domain: Domain }[] = [];
const rulesByEventType = new Map<string, NotificationRule[]>();

// Built once; a name claimed twice is a programming error, caught at start-up.
for (const domain of domains) {
  if (byAggregateType.has(domain.aggregateType))
    throw new Error(`aggregate type ${domain.aggregateType} declared twice`);
  byAggregateType.set(domain.aggregateType, domain);
  for (const eventType of Object.keys(domain.events)) {
    if (byEventType.has(eventType)) throw new Error(`event type ${eventType} declared twice`);
    byEventType.set(eventType, domain);
  }
  if (domain.freeFormEvents) freeForm.push({ pattern: new RegExp(domain.freeFormEvents.pattern), domain });
  for (const rule of domain.notificationRules) {
    const rules = rulesByEventType.get(rule.eventType) ?? [];
    rulesByEventType.set(rule.eventType, [...rules, rule]);
  }
}

for (const [alias, stored] of Object.entries(eventAliases)) {
  if (byEventType.has(alias)) throw new Error(`alias ${alias} is also a declared event type`);
  if (!byEventType.has(stored)) throw new Error(`alias ${alias} names ${stored}, which no domain declares`);
}

export function domainForEventType(eventType: string): Domain | undefined {
  const domain = byEventType.get(eventType);
  if (domain) return domain;
  for (const entry of freeForm) if (entry.pattern.test(eventType)) return entry.domain;
  return undefined;
}

export const domainForAggregateType = (aggregateType: string): Domain | undefined =>
  byAggregateType.get(aggregateType);

/** Every enumerated event type (free-form activity types match a pattern instead). */
export const eventTypes = (): string[] => [...byEventType.keys()];

const noRules: readonly NotificationRule[] = Object.freeze([]);

export const notificationRulesFor = (eventType: string): readonly NotificationRule[] =>
  rulesByEventType.get(eventType) ?? noRules;

export const notificationRules = (): NotificationRule[] => domains.flatMap((d) => d.notificationRules);

/**
 * Folds events into state: from the domain's initial state (full replay), or from a snapshot's
 * state with only the events after it (snapshot + partial replay).
 */
export function rehydrate<S>(domain: Domain<S>, events: Iterable<EventEnvelope>, fromState?: S): S {
  let state = fromState ?? domain.initial();
  for (const event of events) state = domain.evolve(state, event);
  return state;
}
