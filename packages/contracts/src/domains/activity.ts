// User activity (seed 003): a free-form event type per user (login, page_view, ...), data is the
// seed's free-form `metadata` object. Always accepted: activity records what happened.
import { accepted, type Domain } from "../domain.ts";
import type { EnvelopeInput } from "../envelope.ts";

/** Lowercase, so it can never collide with the PascalCase event types of the other domains. */
export const activityEventTypePattern = "^[a-z][a-z0-9_.-]{0,63}$";

export type UserActivityState = {
  userId: string | null;
  count: number;
  lastEventType: string | null;
  firstEventAt: string | null;
  lastEventAt: string | null;
};

export const activity: Domain<UserActivityState> = {
  name: "activity",
  aggregateType: "User",
  events: {},
  freeFormEvents: {
    pattern: activityEventTypePattern,
    dataSchema: { title: "UserActivity", type: "object", description: "Free-form activity metadata" },
  },
  initial: () => ({ userId: null, count: 0, lastEventType: null, firstEventAt: null, lastEventAt: null }),
  evolve: (state, event) => ({
    userId: event.aggregateId,
    count: state.count + 1,
    lastEventType: event.eventType,
    firstEventAt: state.firstEventAt ?? event.timestamp,
    lastEventAt: event.timestamp,
  }),
  decide: () => accepted,
  notificationRules: [],
};

/** The seed's `POST /api/events` body: `{userId, eventType, metadata}` (and optionally the client's own `eventId`, `timestamp`). */
export type UserActivityRequest = {
  userId: string;
  eventType: string;
  metadata?: Record<string, unknown>;
  eventId?: string;
  timestamp?: string;
};

/**
 * Maps the seed's request body onto an envelope input (the user is the aggregate). The body may be
 * as sent (not validated yet): what it maps to is validated as any envelope, so a field of the wrong
 * type is named there; the user id goes into the metadata only when it is a string.
 */
export const userActivityEnvelope = (request: UserActivityRequest): EnvelopeInput => ({
  eventType: request.eventType,
  aggregateType: activity.aggregateType,
  aggregateId: request.userId,
  data: request.metadata ?? {},
  ...(request.eventId !== undefined ? { eventId: request.eventId } : {}),
  ...(request.timestamp !== undefined ? { timestamp: request.timestamp } : {}),
  ...(typeof request.userId === "string" ? { metadata: { userId: request.userId } } : {}),
});
