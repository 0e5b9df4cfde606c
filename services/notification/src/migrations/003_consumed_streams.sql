-- The last version of each stream the consumer recorded deliveries for (in the same transaction
-- as the deliveries). Per stream, events.committed carries versions 1..n in order, so a version
-- at or below it is a duplicate and one beyond the next is a gap, parked.
CREATE TABLE consumed_streams (
  stream_id text PRIMARY KEY,
  version   integer NOT NULL
);
