// One name for a stream, shared by the store that appends to it and the readers that follow it.

/** The stream an aggregate's events form: `<aggregateType>-<aggregateId>`. */
export const streamIdOf = (aggregateType: string, aggregateId: string): string =>
  `${aggregateType}-${aggregateId}`;

/** The stream an event belongs to. */
export const streamOfEvent = (event: { aggregateType: string; aggregateId: string }): string =>
  streamIdOf(event.aggregateType, event.aggregateId);
