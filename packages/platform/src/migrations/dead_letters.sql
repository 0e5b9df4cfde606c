-- The messages a consumer parked with their reason (dead-letters.ts): every consuming service has
-- this table in its schema. IF NOT EXISTS: schemas made before the platform owned it already hold it.
CREATE TABLE IF NOT EXISTS dead_letters (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  "offset"    bigint NOT NULL,
  key         text,
  value       bytea,
  headers     jsonb NOT NULL,
  reason      text NOT NULL,
  parked_at   timestamptz NOT NULL DEFAULT now(),
  replayed_at timestamptz,
  UNIQUE (topic, partition, "offset")
);
