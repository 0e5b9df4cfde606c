-- Notification outbox: one row per (event, rule, channel), written in the same transaction for a
-- whole consumed batch before its offsets are committed, then sent by the dispatcher. The
-- unique key is what makes a redelivered committed event change nothing.
CREATE TABLE subscriptions (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url         text NOT NULL,
  event_types text[] NOT NULL,
  secret      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deliveries (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id        uuid NOT NULL,
  event_type      text NOT NULL,
  rule            text NOT NULL,
  channel         text NOT NULL CHECK (channel IN ('email', 'sms', 'push', 'webhook')),
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sending', 'retrying', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  -- e-mail address, phone or user for sms/push, URL for webhooks
  target          text NOT NULL,
  subject         text,
  body            text,
  subscription_id uuid,
  -- json, not jsonb: the webhook body keeps the envelope's field order
  event           json NOT NULL,
  correlation_id  text,
  -- the consumer span of the event, parent of every attempt's span
  traceparent     text,
  accepted_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- when due; while `sending`, when the lease runs out
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  CONSTRAINT deliveries_once UNIQUE (event_id, rule, channel)
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at)
  WHERE status IN ('pending', 'retrying', 'sending');
CREATE INDEX deliveries_created_idx ON deliveries (created_at DESC);

-- dead_letters: the platform creates it (packages/platform/src/migrations/dead_letters.sql).
