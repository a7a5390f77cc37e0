-- migrate:up

-- Per-variant outcomes of multivariate flags (issue 25). metric_rollups counts on and off: a flag
-- with variants is `on` whichever variant a subject got, so its charts and guardrails could compare
-- the change with its control (off) but not one variant with another. An SDK that reports the
-- variant's name (events' and summaries' `variantName`) now also adds its counts here, in the same
-- statement as the rollups, per flag, environment, minute, variant name, rollout phase and reporting
-- token (null when a person's session sent it): the token, so a purge of one token's reports takes
-- them back here too and a gate can leave a disagreeing token out. Kept apart from metric_rollups so
-- its reads, its key and the benchmarks on it stay as they were.
CREATE TABLE metric_variant_rollups (
  -- The key is the unique index below (its token may be null); this id is only a primary key for tools.
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key),
  minute           timestamptz NOT NULL CHECK (date_trunc('minute', minute) = minute),
  variant_name     text NOT NULL CHECK (length(variant_name) BETWEEN 1 AND 100),
  phase            integer NOT NULL DEFAULT -1,
  token_id         uuid REFERENCES api_tokens(id) ON DELETE CASCADE,
  requests         bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
  errors           bigint NOT NULL DEFAULT 0 CHECK (errors >= 0 AND errors <= requests),
  latency_sum_ms   double precision NOT NULL DEFAULT 0,
  latency_buckets  bigint[] NOT NULL DEFAULT array_fill(0::bigint, ARRAY[20])
);
-- One row per key, a null token (a session's reports) included: ON CONFLICT finds it by this index.
CREATE UNIQUE INDEX metric_variant_rollups_key
  ON metric_variant_rollups (flag_id, environment_key, minute, variant_name, phase, token_id) NULLS NOT DISTINCT;
CREATE INDEX metric_variant_rollups_token ON metric_variant_rollups (token_id, minute) WHERE token_id IS NOT NULL;

SELECT rollgate_lock_down();

-- migrate:down

DROP TABLE metric_variant_rollups;
