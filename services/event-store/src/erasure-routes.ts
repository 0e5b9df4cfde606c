// The admin erasure of a data subject (GDPR's right to erasure, by crypto-shredding): the
// subject's key is deleted at once, so every read from then on shows its personal fields as
// "[erased]", its snapshots go, and the erasure is recorded as an event of the subject's stream
// (CustomerErased), sent through events.ingest like any other so read models drop the subject's
// personal fields. Deleting a customer (CustomerDeleted) erases the same way when it is stored.
import { domainsWithPersonalData, normalizeEnvelope, toKafkaRecord } from "@eventscope/contracts";
import {
  unavailable,
  validationError,
  type Pool,
  type Publisher,
  type Route,
  type TopicNames,
} from "@eventscope/platform";
import { erasingParked } from "./parked-erasure.ts";
import { streamsOfSubject } from "./stored-forms.ts";
import { eraseSubjects } from "./subject-keys.ts";

export interface ErasureDeps {
  pool: Pool;
  /** Where the erasure event is sent (events.ingest); without one the route answers 503. */
  publisher?: Publisher | undefined;
  topics?: TopicNames | undefined;
}

function reasonOf(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  const problems: { field: string; reason: string }[] = [];
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    problems.push({ field: "", reason: "must be a JSON object" });
  } else {
    const { reason, ...rest } = body as Record<string, unknown>;
    for (const field of Object.keys(rest)) problems.push({ field: `/${field}`, reason: "is not allowed" });
    if (reason !== undefined && (typeof reason !== "string" || reason.length < 1 || reason.length > 1000))
      problems.push({ field: "/reason", reason: "must be a string of 1 to 1000 characters" });
    if (problems.length === 0) return reason as string | undefined;
  }
  throw validationError("invalid erasure request; nothing was erased", problems);
}

export function erasureRoutes(deps: ErasureDeps): Route[] {
  return [
    {
      method: "POST",
      path: "/api/subjects/:subjectId/erase",
      scope: "admin",
      accepts: ["application/json"],
      bodyOptional: true,
      handler: async ({ params, body }) => {
        const subjectId = params.subjectId!;
        if (subjectId.length > 200)
          throw validationError("invalid subject id", [
            { field: "subjectId", reason: "must be at most 200 characters" },
          ]);
        const reason = reasonOf(body);
        const { publisher, topics } = deps;
        if (!publisher || !topics)
          throw unavailable("the erasure event cannot be sent: no Kafka publisher", 5);
        const personal = domainsWithPersonalData();
        const events = personal.map((domain) =>
          normalizeEnvelope(
            {
              eventType: domain.personalData!.erasureEvent,
              aggregateType: domain.aggregateType,
              aggregateId: subjectId,
              schemaVersion: 1,
              data: reason === undefined ? {} : { reason },
            },
            { source: "event-store" },
          ),
        );
        // The subject's parked messages are redacted in the transaction that deletes the key.
        const erased = await erasingParked(
          deps.pool,
          events.slice(0, 1).map((e) => ({ subjectId, eventType: e.eventType, eventId: e.eventId })),
          (client) =>
            eraseSubjects(
              client,
              [subjectId],
              streamsOfSubject(
                subjectId,
                personal.map((d) => d.aggregateType),
              ),
            ),
        );
        // The key is already gone: a failed send only delays the event, and a retry is harmless.
        await publisher.publish(topics.ingest, events.map(toKafkaRecord));
        return {
          status: 202,
          body: {
            subjectId,
            keyDeleted: erased.length > 0,
            events: events.map((e) => ({
              eventId: e.eventId,
              eventType: e.eventType,
              status: `/api/eventstore/events/${e.eventId}`,
            })),
          },
        };
      },
    },
  ];
}
