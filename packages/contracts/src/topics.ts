// Kafka topic names, shared so no service spells a topic by hand.
export const topics = {
  ingest: "events.ingest",
  committed: "events.committed",
  rejected: "events.rejected",
  deadLetter: "events.deadletter",
} as const;

export type TopicName = (typeof topics)[keyof typeof topics];
