-- migrate:up

-- Alert thresholds that act by themselves (seed: "Alert Thresholds", "When to Rollback"): per flag
-- and environment, a metric over a window with a minimum of samples, and what to do on a breach.
CREATE TABLE guardrails (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  flag_id         uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key text NOT NULL REFERENCES environments(key) ON DELETE CASCADE,
  metric          text NOT NULL CHECK (metric IN ('error_rate', 'success_rate', 'p95_ms')),
  threshold       double precision NOT NULL CHECK (threshold >= 0),
  window_seconds  integer NOT NULL DEFAULT 300 CHECK (window_seconds BETWEEN 60 AND 86400),
  min_samples     integer NOT NULL DEFAULT 100 CHECK (min_samples >= 1),
  action          text NOT NULL CHECK (action IN ('notify', 'pause', 'rollback', 'kill')),
  dry_run         boolean NOT NULL DEFAULT false,
  -- Set while breached, cleared on recovery: a breach acts once, not on every evaluation.
  breached_since  timestamptz,
  last_verdict    jsonb,
  created_by      uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX guardrails_flag_env_idx ON guardrails (flag_id, environment_key);

SELECT rollgate_lock_down();

-- migrate:down

DROP TABLE guardrails;
