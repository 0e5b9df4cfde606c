-- The last version of each stream a consumer applied (consumed-streams.ts), written in the same
-- transaction as what it applied. Per stream, events.committed carries versions 1..n in order, so a
-- version at or below it is a duplicate and one beyond the next is a gap, parked. IF NOT EXISTS:
-- schemas made before the platform owned it already hold it.
CREATE TABLE IF NOT EXISTS consumed_streams (
  stream_id text PRIMARY KEY,
  version   integer NOT NULL
);
