-- A checkpoint row per projection and partition of events.committed (apply.ts): with one row per
-- projection, every batch of every partition updated it, and the partitions' transactions queued
-- on its row lock. A partition's batches come one at a time, so its rows are not contended. The
-- row of projection '' is the live consumer's: every live projection has seen its position.
-- projection_checkpoints keeps each projection's status, rebuild and error, and what it counted
-- before this table (the status adds both).
CREATE TABLE projection_partition_checkpoints (
  projection     text NOT NULL,
  partition      integer NOT NULL,
  position       bigint NOT NULL DEFAULT 0,
  events_applied bigint NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, partition)
);
