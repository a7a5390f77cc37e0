-- migrate:up

-- The comparative guardrails' state per flag and environment (issue 23): one e-process per test for
-- as long as the flag is split between on and off (a rollout's whole life, across phases), restarted
-- only when the split ends (kill, 0 % or 100 %, disabled) or a new rollout starts. `tracks` holds each
-- test's running maximum of log E and its sticky alarm, `verdicts` the last look's evidence and
-- sentence (what the dashboard, the incident and the webhook quote), `acted` which alarms have acted,
-- so an alarm acts once.
CREATE TABLE split_evidence (
  flag_id              uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key      text NOT NULL REFERENCES environments(key) ON DELETE CASCADE,
  -- The rollout the e-process belongs to (null: a split set by hand, without a rollout).
  rollout_id           uuid REFERENCES rollouts(id) ON DELETE CASCADE,
  -- Evidence counts SPLIT traffic from this minute on.
  since                timestamptz NOT NULL CHECK (date_trunc('minute', since) = since),
  -- The relative latency threshold (the bucket edge nearest control's p95), frozen once control has
  -- enough timed requests: a threshold chosen from the data it then tests would bias the test.
  relative_threshold_ms double precision CHECK (relative_threshold_ms > 0),
  tracks               jsonb NOT NULL DEFAULT '{}'::jsonb,
  verdicts             jsonb NOT NULL DEFAULT '{}'::jsonb,
  acted                jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- When this e-process's first look happened: "no data for 15 min" counts from here at the earliest.
  watched_since        timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flag_id, environment_key)
);

SELECT rollgate_lock_down();

-- migrate:down

DROP TABLE split_evidence;
