-- The event store: one row per stored event, a version per stream and a global position.
-- Positions come from an identity sequence (no single locked counter row); readers of the
-- global feed order by (transaction_id, position) and serve only transactions below the
-- oldest running one, so an event whose position was taken before a concurrent transaction
-- committed is never skipped.
CREATE TABLE streams (
  stream_id      text PRIMARY KEY,
  aggregate_type text NOT NULL,
  aggregate_id   text NOT NULL,
  version        integer NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  position       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  event_id       uuid NOT NULL,
  stream_id      text NOT NULL,
  version        integer NOT NULL CHECK (version > 0),
  aggregate_type text NOT NULL,
  aggregate_id   text NOT NULL,
  event_type     text NOT NULL,
  occurred_at    timestamptz NOT NULL,
  stored_at      timestamptz NOT NULL DEFAULT now(),
  data           jsonb NOT NULL,
  metadata       jsonb NOT NULL,
  CONSTRAINT events_event_id_key UNIQUE (event_id),
  CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);
CREATE INDEX events_feed_idx ON events (transaction_id, position);

CREATE TABLE snapshots (
  stream_id text NOT NULL,
  version   integer NOT NULL,
  state     jsonb NOT NULL,
  taken_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, version)
);

CREATE TABLE rejected_events (
  event_id       uuid PRIMARY KEY,
  stream_id      text NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id   text NOT NULL,
  event_type     text NOT NULL,
  code           text NOT NULL,
  reason         text NOT NULL,
  envelope       jsonb NOT NULL,
  rejected_at    timestamptz NOT NULL DEFAULT now()
);

-- dead_letters: the platform creates it (packages/platform/src/migrations/dead_letters.sql).
