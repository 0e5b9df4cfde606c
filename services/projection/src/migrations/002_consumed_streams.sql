-- consumed_streams, the last version of each stream the live consumer applied (all read models at
-- once, in the same transaction as their rows), is the platform's (created before this file:
-- packages/platform/src/migrations/consumed_streams.sql).
-- A projection that ran before that table existed starts from what its read models recorded.
INSERT INTO consumed_streams (stream_id, version)
SELECT stream_id, max(version) FROM projection_streams
WHERE projection NOT LIKE '%\_\_rebuild' GROUP BY stream_id;
