-- migrate:up

-- Who reported what (issue 23). metric_rollups says how a flag did; it cannot say which SDK token
-- said so, so one token's forged reports could neither be seen, nor taken back, nor left out of a
-- gate. Each batch now also adds its counts to a row per token here, in the same statement, so
-- the two never disagree about what was stored. Kept apart from metric_rollups so every existing
-- read (charts, metric functions) stays as it was; only the columns a purge must subtract and a
-- gate must leave out are repeated (subjects sketches and erroring subjects are not per token).
CREATE TABLE metric_rollups_by_token (
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key),
  minute           timestamptz NOT NULL CHECK (date_trunc('minute', minute) = minute),
  token_id         uuid NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
  variant          text NOT NULL CHECK (variant IN ('on', 'off')),
  phase            integer NOT NULL DEFAULT -1,
  reason           text NOT NULL DEFAULT 'UNKNOWN'
                   CHECK (reason IN ('SPLIT', 'TARGETING_MATCH', 'DISABLED', 'STATIC', 'UNKNOWN', 'CLIENT_METRICS')),
  requests         bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
  errors           bigint NOT NULL DEFAULT 0 CHECK (errors >= 0 AND errors <= requests),
  errors_by_code   jsonb NOT NULL DEFAULT '{}'::jsonb,
  latency_sum_ms   double precision NOT NULL DEFAULT 0,
  latency_buckets  bigint[] NOT NULL DEFAULT array_fill(0::bigint, ARRAY[20]),
  evaluations      bigint NOT NULL DEFAULT 0 CHECK (evaluations >= 0),
  -- Flag, environment and minute first: the gate's window read and the per-token-minute cap look
  -- rows up that way on the hot path; a purge by token uses the index below.
  PRIMARY KEY (flag_id, environment_key, minute, token_id, variant, phase, reason)
);
CREATE INDEX metric_rollups_by_token_token ON metric_rollups_by_token (token_id, minute);

-- Raised inside the ingest statement when a token's requests for a flag and minute go over the cap
-- (lib/metrics/telemetry-bounds.ts), so the whole batch rolls back; the server answers 400.
CREATE FUNCTION rollgate_refuse_over_cap(p_flag_id uuid, p_minute timestamptz, p_total numeric) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  RAISE EXCEPTION 'telemetry over cap: % requests for flag % in minute %', p_total, p_flag_id, p_minute
    USING ERRCODE = 'RG429';
END $$;

SELECT rollgate_lock_down();

-- migrate:down

DROP FUNCTION rollgate_refuse_over_cap(uuid, timestamptz, numeric);
DROP TABLE metric_rollups_by_token;
