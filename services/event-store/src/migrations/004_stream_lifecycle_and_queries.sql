-- Stream lifecycle: a stream is open, archived (read-only, kept and served) or tombstoned (closed
-- for good: no new events, not served). The registry row holds the current state; every change
-- is recorded in stream_lifecycle with its reason. The partial index keeps the check an append
-- makes (is any stream of this batch closed?) a probe of a tiny index.
ALTER TABLE streams ADD COLUMN lifecycle text NOT NULL DEFAULT 'open'
  CHECK (lifecycle IN ('open', 'archived', 'tombstoned'));
ALTER TABLE streams ADD COLUMN lifecycle_changed_at timestamptz;
CREATE INDEX streams_closed_idx ON streams (stream_id, lifecycle) WHERE lifecycle <> 'open';

CREATE TABLE stream_lifecycle (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream_id  text NOT NULL REFERENCES streams (stream_id),
  lifecycle  text NOT NULL,
  previous   text NOT NULL,
  reason     text,
  changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stream_lifecycle_stream_idx ON stream_lifecycle (stream_id, id);

-- Queries over time, type and correlation (events by date range and type, an order's whole
-- story by its correlation id), each in commit order like the feed.
CREATE INDEX events_occurred_idx ON events (occurred_at);
CREATE INDEX events_type_idx ON events (event_type, transaction_id, position);
CREATE INDEX events_correlation_idx ON events ((metadata ->> 'correlationId'), transaction_id, position);
