-- Webhook subscriptions get a health record and a sealed secret.
-- A subscription whose endpoint keeps failing is switched off (status 'disabled') after
-- WEBHOOK_FAILURE_BUDGET consecutive failed attempts spread over at least
-- WEBHOOK_FAILURE_WINDOW_MS, and switched on again by an admin; every switch is recorded.
-- Secrets are kept sealed with AES-256-GCM (WEBHOOK_SECRET_KEY) in `secret_sealed`; the
-- service seals the clear `secret` of older rows when it starts, and clears that column.
ALTER TABLE subscriptions
  ALTER COLUMN secret DROP NOT NULL,
  ADD COLUMN secret_sealed text,
  ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
  ADD COLUMN failing_since timestamptz,
  ADD COLUMN disabled_at timestamptz,
  ADD COLUMN disabled_reason text,
  ADD CONSTRAINT subscriptions_secret_kept CHECK (secret IS NOT NULL OR secret_sealed IS NOT NULL);

CREATE TABLE subscription_switches (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  status          text NOT NULL CHECK (status IN ('active', 'disabled')),
  reason          text NOT NULL,
  at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_switches_by_subscription ON subscription_switches (subscription_id, at);
