// State-machine checks shared by the domains, so every rejection reads the same way.
import { accepted, rejected, rejectionCodes, type Decision } from "../domain.ts";
import type { EventEnvelope } from "../envelope.ts";

const name = (event: EventEnvelope): string => `${event.aggregateType} ${event.aggregateId}`;

/** The aggregate must not exist yet (a creation event). */
export function requireNew(event: EventEnvelope, status: string | null): Decision {
  if (status === null) return accepted;
  return rejected(
    rejectionCodes.alreadyExists,
    `${name(event)} already exists; ${event.eventType} cannot apply`,
  );
}

/** The aggregate must exist and be in one of the allowed statuses. */
export function requireStatus<T extends string>(
  event: EventEnvelope,
  status: T | null,
  allowed: readonly T[],
): Decision {
  if (status === null) {
    return rejected(
      rejectionCodes.notFound,
      `${name(event)} does not exist; ${event.eventType} needs it first`,
    );
  }
  if (allowed.includes(status)) return accepted;
  return rejected(
    rejectionCodes.invalidTransition,
    `${event.eventType} is not allowed when ${name(event)} is ${status} (only when ${allowed.join(" or ")})`,
  );
}

export const rejectUnchanged = (event: EventEnvelope, what: string): Decision =>
  rejected(rejectionCodes.unchanged, `${event.eventType} changes nothing: ${name(event)} ${what}`);
