-- Personal data erasure: a CustomerDeleted or CustomerErased redacts what the deliveries of that
-- customer keep of them (addresses, rendered messages, the event's personal fields) and cancels
-- the ones not yet sent. Each delivery records the customer it concerns: from the event at
-- planning (a customer's own events, an event naming its customerId), or from the look-up that
-- found the customer's address at send time (an order's, a payment's).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
  CHECK (status IN ('pending', 'sending', 'retrying', 'delivered', 'dead', 'cancelled'));
ALTER TABLE deliveries
  ADD COLUMN customer_id text,
  -- when the customer's personal data was redacted from this row
  ADD COLUMN erased_at timestamptz;
UPDATE deliveries SET customer_id = CASE
    WHEN event ->> 'aggregateType' = 'Customer' THEN event ->> 'aggregateId'
    ELSE event -> 'data' ->> 'customerId'
  END;
CREATE INDEX deliveries_customer_idx ON deliveries (customer_id) WHERE customer_id IS NOT NULL;

-- Customers erased: a delivery recorded or resolved for one of them later is cancelled too.
CREATE TABLE erased_customers (
  customer_id text PRIMARY KEY,
  event_id    uuid NOT NULL,
  event_type  text NOT NULL,
  erased_at   timestamptz NOT NULL DEFAULT now()
);
