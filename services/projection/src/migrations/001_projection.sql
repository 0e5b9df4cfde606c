-- Read models (CQRS read side). Each document table holds one row per aggregate: the state the
-- read model folds from its events, with the columns queries filter on generated from it.
CREATE TABLE orders (
  id          text PRIMARY KEY,
  doc         jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  status      text GENERATED ALWAYS AS (doc->>'status') STORED,
  customer_id text GENERATED ALWAYS AS (doc->>'customerId') STORED
);
CREATE INDEX orders_status_idx ON orders (status, updated_at DESC);
CREATE INDEX orders_customer_idx ON orders (customer_id, updated_at DESC);

CREATE TABLE carts (
  id          text PRIMARY KEY,
  doc         jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  status      text GENERATED ALWAYS AS (doc->>'status') STORED,
  customer_id text GENERATED ALWAYS AS (doc->>'customerId') STORED
);
CREATE INDEX carts_customer_idx ON carts (customer_id);

CREATE TABLE payments (
  id         text PRIMARY KEY,
  doc        jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  status     text GENERATED ALWAYS AS (doc->>'status') STORED,
  order_id   text GENERATED ALWAYS AS (doc->>'orderId') STORED
);
CREATE INDEX payments_order_idx ON payments (order_id);

CREATE TABLE inventory (
  id         text PRIMARY KEY,
  doc        jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  low_stock  boolean GENERATED ALWAYS AS (
    (doc->>'available')::numeric <= COALESCE((doc->>'lowStockThreshold')::numeric, -1)
  ) STORED
);

CREATE TABLE products (
  id         text PRIMARY KEY,
  doc        jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  status     text GENERATED ALWAYS AS (doc->>'status') STORED
);

CREATE TABLE tasks (
  id         text PRIMARY KEY,
  doc        jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  status     text GENERATED ALWAYS AS (doc->>'status') STORED,
  assignee   text GENERATED ALWAYS AS (doc->>'assignee') STORED
);
CREATE INDEX tasks_status_idx ON tasks (status, updated_at DESC);

CREATE TABLE customers (
  id         text PRIMARY KEY,
  doc        jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  status     text GENERATED ALWAYS AS (doc->>'status') STORED,
  email      text GENERATED ALWAYS AS (doc->>'email') STORED
);

-- User activity: one row per event, listed per user and per type (the Kafka activity seed).
CREATE TABLE user_activity (
  event_id    uuid PRIMARY KEY,
  user_id     text NOT NULL,
  event_type  text NOT NULL,
  occurred_at timestamptz NOT NULL,
  position    bigint NOT NULL,
  data        jsonb NOT NULL
);
CREATE INDEX user_activity_user_idx ON user_activity (user_id, position);
CREATE INDEX user_activity_type_idx ON user_activity (event_type, position);
CREATE INDEX user_activity_position_idx ON user_activity (position);

-- Exactly once per (projection, stream, version): an event at or below the stream's recorded
-- version has been applied already and is skipped.
CREATE TABLE projection_streams (
  projection text NOT NULL,
  stream_id  text NOT NULL,
  version    integer NOT NULL,
  PRIMARY KEY (projection, stream_id)
);

CREATE TABLE projection_checkpoints (
  projection     text PRIMARY KEY,
  position       bigint NOT NULL DEFAULT 0,
  events_applied bigint NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  status         text NOT NULL DEFAULT 'live',
  rebuilt_at     timestamptz,
  last_error     text
);

-- dead_letters: the platform creates it (packages/platform/src/migrations/dead_letters.sql).
