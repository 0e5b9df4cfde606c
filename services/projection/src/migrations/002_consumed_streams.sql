-- The last version of each stream the live consumer applied (all read models at once, in the
-- same transaction as their rows). Per stream, events.committed carries versions 1..n in order,
-- so a version at or below it is a duplicate and one beyond the next is a gap, parked.
CREATE TABLE consumed_streams (
  stream_id text PRIMARY KEY,
  version   integer NOT NULL
);

-- A projection that ran before this table existed starts from what its read models recorded.
INSERT INTO consumed_streams (stream_id, version)
SELECT stream_id, max(version) FROM projection_streams
WHERE projection NOT LIKE '%\_\_rebuild' GROUP BY stream_id;
