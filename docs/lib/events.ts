// The events as both documents show them: every data schema from the contracts, the union a type
// chooses from, the aliases in words, the rejection codes.
import {
  activity,
  activityEventTypePattern,
  committedEventSchema,
  domains,
  envelopeSchema,
  eventAliases,
  eventSchemas,
  rejectionCodes,
} from "@eventscope/contracts";
import { int, published, ref, str, type Json } from "./schema.ts";

export const events = eventSchemas();
export const eventTypeNames = Object.keys(events);
const activitySchemaName = "UserActivity";

export function aggregateTypeOf(eventType: string): string {
  const domain = domains.find((d) => eventType in d.events);
  if (!domain) throw new Error(`no domain declares ${eventType}`);
  return domain.aggregateType;
}

/** Every event's data schema by event type, and the activity free-form schema, from the contracts. */
export function eventDataSchemas(): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [eventType, schema] of Object.entries(events)) {
    out[eventType] = {
      ...published(schema),
      description: `Data of a \`${eventType}\` event (aggregate ${aggregateTypeOf(eventType)}).`,
    };
  }
  const freeForm = activity.freeFormEvents!;
  out[activitySchemaName] = {
    ...published(freeForm.dataSchema),
    description:
      `${typeof freeForm.dataSchema.description === "string" ? freeForm.dataSchema.description : "Free-form activity data"}: the data of a user-activity ` +
      `event, whose type is any lowercase name matching \`${freeForm.pattern}\` (login, page_view, ...).`,
  };
  return out;
}

/** The aliases (packages/contracts/src/aliases.ts), in words: `OrderPlaced` (as `OrderCreated`), ... */
const aliasList = Object.entries(eventAliases)
  .map(([alias, stored]) => `\`${alias}\` (as \`${stored}\`)`)
  .join(", ");
export const aliasNote =
  `Three event types are aliases, accepted wherever an event type is taken and validated and stored under ` +
  `the other name: ${aliasList}. A stored event, a topic record and a read model only ever carry the ` +
  "stored name.";

/** The data of any event: chosen by the event type (`eventType` in the envelope, `ce_type` on Kafka). */
export function eventDataUnion(): Json {
  return {
    description:
      "The event's data. Which schema applies is named by the event type (`eventType` in an envelope, " +
      "the `ce_type` header on Kafka): the enumerated types have the schema of that name, and any lowercase " +
      `type matching \`${activityEventTypePattern}\` is user activity (free-form). Several schemas accept ` +
      `the same JSON (e.g. \`{}\`), so the list is anyOf and the type decides. ${aliasNote}`,
    "x-event-aliases": { ...eventAliases },
    anyOf: [...eventTypeNames.map(ref), ref(activitySchemaName)],
  };
}

export const knownRejectionCodes = Object.values(rejectionCodes);

/** The producer's `sha256:<hex>` of a payload as sent, in the 202 and in the stored metadata. */
export const payloadHashSchema = (description: string): Json =>
  str(description, { pattern: "^sha256:[0-9a-f]{64}$" });

/** The envelope, the committed event and every event's data, as the HTTP document lists them. */
export function eventComponentSchemas(): Record<string, Json> {
  return {
    EventEnvelope: {
      ...published(envelopeSchema),
      description:
        "The event envelope a client sends (the e-commerce seed's schema); eventId, timestamp and " +
        "metadata are filled in when absent. `data` must match the data schema of `eventType`.",
    },
    EventEnvelopeInput: {
      description:
        "An envelope as POSTed to the producer: optionally with `expectedVersion`, the stream version " +
        "the client expects (the store rejects the event with WRONG_EXPECTED_VERSION otherwise).",
      allOf: [
        ref("EventEnvelope"),
        {
          type: "object",
          properties: { expectedVersion: int("Expected current stream version", { minimum: 0 }) },
        },
      ],
    },
    CommittedEvent: {
      ...published(committedEventSchema),
      description:
        "An event as the store keeps it: with its stream version, global position and storage time.",
    },
    EventData: eventDataUnion(),
    ...eventDataSchemas(),
    LineItem: {
      ...published(events.ItemAddedToCart!),
      title: "LineItem",
      description: "A cart or order line.",
    },
  };
}
