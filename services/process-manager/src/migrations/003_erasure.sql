-- Personal data erasure: a CustomerDeleted or CustomerErased drops the customer's personal data
-- from the state of their processes and from the envelopes of their steps (erasure.ts); the
-- customers erased are recorded. Their processes are found by id (onboarding:<id>) or by the
-- customerId their state keeps (an order's, a cart's).
CREATE TABLE erased_subjects (
  subject_id text PRIMARY KEY,
  event_id   uuid NOT NULL,
  event_type text NOT NULL,
  erased_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processes_customer_idx ON processes ((state ->> 'customerId')) WHERE state ? 'customerId';
