// Test support for the domain specs: build events, replay a history through decide and evolve.
import type { Decision, Domain } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";
import { upcast } from "../upcast.ts";
import { validateEnvelope } from "../validation.ts";

let clock = Date.parse("2025-01-15T10:30:00Z");

export function eventOf<S>(
  domain: Domain<S>,
  eventType: string,
  data: Record<string, unknown> = {},
  aggregateId = "agg-1",
): EventEnvelope {
  clock += 1000;
  return {
    eventId: crypto.randomUUID(),
    eventType,
    aggregateId,
    aggregateType: domain.aggregateType,
    timestamp: new Date(clock).toISOString(),
    data,
    metadata: { correlationId: "corr-1", source: "spec" },
  };
}

export type Step = [eventType: string, data?: Record<string, unknown>];

/**
 * Replays a history, checking every step is a valid envelope and accepted by decide (so a
 * history doubles as a happy-path test), and returns what a next event would meet.
 */
export function given<S>(domain: Domain<S>, history: Step[], aggregateId = "agg-1") {
  let state = domain.initial();
  const events: EventEnvelope[] = [];
  for (const [eventType, data] of history) {
    const written = eventOf(domain, eventType, data, aggregateId);
    const validation = validateEnvelope(written);
    if (!validation.ok) throw new Error(`${eventType} is invalid: ${JSON.stringify(validation.problems)}`);
    // Domains decide and evolve with current-version data, as every reader hands it to them.
    const event = upcast({ ...written, schemaVersion: validation.schemaVersion });
    const decision = domain.decide(state, event);
    if (!decision.accepted) throw new Error(`${eventType} was rejected: ${decision.code} ${decision.reason}`);
    state = domain.evolve(state, event);
    events.push(event);
  }
  return {
    state,
    events,
    decide: (eventType: string, data?: Record<string, unknown>): Decision =>
      domain.decide(state, current(eventOf(domain, eventType, data, aggregateId))),
  };
}

/** An event read as its domain meets it: at the schema version its data fits, upcast. */
function current(event: EventEnvelope): EventEnvelope {
  const validation = validateEnvelope(event);
  return validation.ok ? upcast({ ...event, schemaVersion: validation.schemaVersion }) : event;
}
