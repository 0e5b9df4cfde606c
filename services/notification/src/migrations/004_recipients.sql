-- Whom a delivery went to: the address or number the event carried ('event'), the customer's own
-- from the customer read model ('customer'), or the configured default ('default'). Set at send.
ALTER TABLE deliveries ADD COLUMN recipient text
  CHECK (recipient IS NULL OR recipient IN ('event', 'customer', 'default', 'subscription'));
