-- migrate:up

-- Outgoing webhooks: admins register receivers per environment (several per environment, e.g. a team
-- channel and an incident bot). A URL is http(s) only, without whitespace or control characters.
CREATE TABLE webhooks (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  environment_key text NOT NULL REFERENCES environments(key) ON DELETE CASCADE,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  url             text NOT NULL CHECK (url ~ '^https?://[^[:space:][:cntrl:]]+$' AND length(url) <= 2000),
  enabled         boolean NOT NULL DEFAULT true,
  created_by      uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_environment_idx ON webhooks (environment_key);

-- The durable outbox. A row is written in the same transaction as the action it reports (so a rolled
-- back action sends nothing) and delivered later by lib/notifications/delivery-worker.ts.
-- `next_attempt_at` doubles as a lease: claiming a row moves it past the request timeout, so a crashed
-- worker's row comes due again and two workers never hold the same row.
CREATE TABLE webhook_deliveries (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id      uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  kind            text NOT NULL CHECK (length(kind) BETWEEN 1 AND 60),
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_status     integer,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id);
CREATE INDEX webhook_deliveries_recent_idx ON webhook_deliveries (created_at DESC);

SELECT rollgate_lock_down();

-- migrate:down

DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
