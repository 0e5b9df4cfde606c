-- Processes (sagas): each one's state, the commands it decided (an outbox, sent by the
-- dispatcher), its timers, and the streams routed to it. A consumed batch writes all of them
-- and the checkpoint below in one transaction, so a redelivery decides nothing twice.
CREATE TABLE processes (
  id             text PRIMARY KEY,
  type           text NOT NULL,
  status         text NOT NULL CHECK (status IN ('active', 'completed', 'compensating', 'cancelled', 'failed')),
  stage          text NOT NULL,
  outcome        text,
  state          jsonb NOT NULL,
  correlation_id text NOT NULL,
  -- the trace of the event that started it: every step is a span of it
  traceparent    text,
  started_by     uuid NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  completed_at   timestamptz
);
CREATE INDEX processes_type_status_idx ON processes (type, status, updated_at DESC);
CREATE INDEX processes_status_idx ON processes (status, updated_at DESC);

-- One row per step: the event id is uuid v5 of (process id, step), so deciding a step again
-- finds the row already there and sends nothing twice.
CREATE TABLE process_steps (
  seq             bigint GENERATED ALWAYS AS IDENTITY,
  event_id        uuid PRIMARY KEY,
  process_id      text NOT NULL REFERENCES processes (id),
  step            text NOT NULL,
  event_type      text NOT NULL,
  aggregate_type  text NOT NULL,
  aggregate_id    text NOT NULL,
  -- the envelope sent to the producer, byte for byte the same on every retry
  envelope        jsonb NOT NULL,
  caused_by       uuid,
  -- the span the step is sent under: the process's trace, or the causing event's
  traceparent     text,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sent', 'committed', 'rejected', 'refused')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  committed_at    timestamptz,
  UNIQUE (process_id, step)
);
CREATE INDEX process_steps_due_idx ON process_steps (process_id, seq) WHERE status = 'pending';
CREATE INDEX process_steps_process_idx ON process_steps (process_id, seq);

-- Events each process received (its history, shown beside the steps).
CREATE TABLE process_events (
  process_id  text NOT NULL REFERENCES processes (id),
  event_id    uuid NOT NULL,
  event_type  text NOT NULL,
  stream_id   text NOT NULL,
  version     integer NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (process_id, event_id)
);

-- Stored, not in memory: a timer set before a crash fires after the restart.
CREATE TABLE process_timers (
  process_id text NOT NULL REFERENCES processes (id),
  name       text NOT NULL,
  due_at     timestamptz NOT NULL,
  PRIMARY KEY (process_id, name)
);
CREATE INDEX process_timers_due_idx ON process_timers (due_at);

-- Streams whose events go to a process other than by their own id (a payment to its order).
CREATE TABLE process_links (
  stream_id  text PRIMARY KEY,
  process_id text NOT NULL REFERENCES processes (id)
);

-- The checkpoint, consumed_streams (the last version of each stream applied, as the projection
-- keeps it): the platform creates it (packages/platform/src/migrations/consumed_streams.sql).

-- dead_letters: the platform creates it (packages/platform/src/migrations/dead_letters.sql).
