-- migrate:up

-- What each SDK token reported per flag, environment and minute, in all: the per-token plausibility
-- cap (60 M requests, lib/metrics/telemetry-bounds.ts) reads it. The ingest statement upserts the row
-- and reads the sum it leaves, which includes every batch committed before it (a concurrent one is
-- waited for on the row's lock). Summing metric_rollups_by_token instead read the statement's snapshot:
-- two batches of one token writing different rows (variant, reason) of the same flag and minute at
-- once each saw the other's rows missing, and together went over the cap.
CREATE TABLE metric_token_totals (
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key),
  minute           timestamptz NOT NULL CHECK (date_trunc('minute', minute) = minute),
  token_id         uuid NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
  requests         bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
  PRIMARY KEY (flag_id, environment_key, minute, token_id)
);
CREATE INDEX metric_token_totals_token ON metric_token_totals (token_id, minute);

INSERT INTO metric_token_totals (flag_id, environment_key, minute, token_id, requests)
SELECT flag_id, environment_key, minute, token_id, sum(requests)
  FROM metric_rollups_by_token
 GROUP BY flag_id, environment_key, minute, token_id
HAVING sum(requests) > 0;

SELECT rollgate_lock_down();

-- migrate:down

DROP TABLE metric_token_totals;
