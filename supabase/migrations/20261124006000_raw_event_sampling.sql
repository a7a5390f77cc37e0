-- migrate:up

-- Raw events become opt-in. Charts, gates and guardrails read the per-minute rollups only, so
-- storing one row per evaluation outcome grows storage with traffic for nothing anybody reads; a flag
-- now keeps the given share of its raw events (0 … 100 %, default none) for debugging and ad-hoc
-- analysis, and storage grows with flags × minutes instead. Every flag, existing ones included,
-- starts at 0: the rollups already hold everything their charts show.
ALTER TABLE flags ADD COLUMN raw_event_sample_percent double precision NOT NULL DEFAULT 0
  CONSTRAINT flags_raw_event_sample_percent_range CHECK (raw_event_sample_percent >= 0 AND raw_event_sample_percent <= 100);

SELECT rollgate_lock_down();

-- migrate:down

ALTER TABLE flags DROP COLUMN raw_event_sample_percent;
