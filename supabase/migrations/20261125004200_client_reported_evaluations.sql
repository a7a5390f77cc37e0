-- migrate:up

-- Evaluations that a client counted but did not time: Unleash SDKs report how often each toggle was
-- on (yes) and off (no) per interval (POST /api/client/metrics), nothing about how the work went.
-- They belong in adoption (the share served `on`) and nowhere else: counted as `requests` they would
-- raise the success rate, dilute the error rate and drag the mean latency toward zero, and count
-- toward the gates' and guardrails' minimum samples. So they get their own counter, in rows of their
-- own reason, and `requests` keeps meaning "outcomes reported".
ALTER TABLE metric_rollups
  ADD COLUMN evaluations bigint NOT NULL DEFAULT 0 CHECK (evaluations >= 0);
ALTER TABLE metric_rollups DROP CONSTRAINT metric_rollups_reason_check;
ALTER TABLE metric_rollups ADD CONSTRAINT metric_rollups_reason_check
  CHECK (reason IN ('SPLIT', 'TARGETING_MATCH', 'DISABLED', 'STATIC', 'UNKNOWN', 'CLIENT_METRICS'));

-- As before (20261123002000_metric_views.sql), plus `evaluations` per bucket and variant; adoption is
-- now the share of everything served (requests + evaluations, both variants) that was `on`. A bucket
-- and variant with only client-reported evaluations is a row too (requests 0, rates NULL).
DROP FUNCTION rollgate_metric_series(uuid, text, timestamptz, timestamptz, integer);
DROP FUNCTION rollgate_metric_buckets(uuid, text, timestamptz, timestamptz, integer);

CREATE FUNCTION rollgate_metric_buckets(
  p_flag_id uuid,
  p_environment text,
  p_from timestamptz,
  p_to timestamptz,
  p_bucket_seconds integer
) RETURNS TABLE (
  t timestamptz,
  variant text,
  requests bigint,
  errors bigint,
  errors_by_code jsonb,
  latency_sum_ms double precision,
  latency_buckets bigint[],
  evaluations bigint,
  adoption double precision
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH src AS (
    SELECT pg_catalog.date_bin(pg_catalog.make_interval(secs => p_bucket_seconds), m.minute, timestamptz '1970-01-01 00:00:00+00') AS t,
           m.variant, m.requests, m.errors, m.errors_by_code, m.latency_sum_ms, m.latency_buckets, m.evaluations
    FROM public.metric_rollups m
    WHERE m.flag_id = p_flag_id AND m.environment_key = p_environment AND m.variant IN ('on', 'off')
      AND m.minute >= p_from AND m.minute < p_to
  ), combined AS (
    SELECT s.t, s.variant, s.requests, s.errors, s.latency_sum_ms, s.latency_buckets, s.evaluations, NULL::jsonb AS codes
    FROM src s
    UNION ALL
    SELECT c.t, c.variant, 0, 0, 0, NULL, 0, pg_catalog.jsonb_object_agg(c.code, c.n)
    FROM (
      SELECT s.t, s.variant, e.key AS code, sum(e.value::bigint)::bigint AS n
      FROM src s, pg_catalog.jsonb_each_text(s.errors_by_code) AS e
      WHERE s.errors > 0
      GROUP BY s.t, s.variant, e.key
    ) c GROUP BY c.t, c.variant
  ), agg AS (
    SELECT c.t, c.variant, sum(c.requests)::bigint AS requests, sum(c.errors)::bigint AS errors,
           sum(c.latency_sum_ms) AS latency_sum_ms,
           ARRAY[sum(c.latency_buckets[1]::double precision),
             sum(c.latency_buckets[2]::double precision),
             sum(c.latency_buckets[3]::double precision),
             sum(c.latency_buckets[4]::double precision),
             sum(c.latency_buckets[5]::double precision),
             sum(c.latency_buckets[6]::double precision),
             sum(c.latency_buckets[7]::double precision),
             sum(c.latency_buckets[8]::double precision),
             sum(c.latency_buckets[9]::double precision),
             sum(c.latency_buckets[10]::double precision),
             sum(c.latency_buckets[11]::double precision),
             sum(c.latency_buckets[12]::double precision),
             sum(c.latency_buckets[13]::double precision),
             sum(c.latency_buckets[14]::double precision),
             sum(c.latency_buckets[15]::double precision),
             sum(c.latency_buckets[16]::double precision),
             sum(c.latency_buckets[17]::double precision),
             sum(c.latency_buckets[18]::double precision),
             sum(c.latency_buckets[19]::double precision),
             sum(c.latency_buckets[20]::double precision)]::bigint[] AS latency_buckets,
           sum(c.evaluations)::bigint AS evaluations,
           (pg_catalog.array_agg(c.codes) FILTER (WHERE c.codes IS NOT NULL))[1] AS errors_by_code
    FROM combined c GROUP BY c.t, c.variant
  )
  SELECT a.t, a.variant, a.requests, a.errors, coalesce(a.errors_by_code, '{}'::jsonb), a.latency_sum_ms, a.latency_buckets, a.evaluations,
         (sum(a.requests + a.evaluations) FILTER (WHERE a.variant = 'on') OVER w)::double precision
           / nullif(sum(a.requests + a.evaluations) OVER w, 0)
  FROM agg a
  WHERE a.requests > 0 OR a.evaluations > 0
  WINDOW w AS (PARTITION BY a.t)
  ORDER BY a.t, a.variant
$$;

-- Rates are NULL for a bucket without reported outcomes (only client-reported evaluations).
CREATE FUNCTION rollgate_metric_series(
  p_flag_id uuid,
  p_environment text,
  p_from timestamptz,
  p_to timestamptz,
  p_bucket_seconds integer
) RETURNS TABLE (
  t timestamptz,
  variant text,
  requests bigint,
  errors bigint,
  success_rate double precision,
  error_rate double precision,
  errors_by_code jsonb,
  latency_sum_ms double precision,
  latency_buckets bigint[],
  p50_ms double precision,
  p95_ms double precision,
  p99_ms double precision,
  evaluations bigint,
  adoption double precision
)
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public AS $$
  SELECT b.t, b.variant, b.requests, b.errors,
         (b.requests - b.errors)::double precision / nullif(b.requests, 0),
         b.errors::double precision / nullif(b.requests, 0),
         b.errors_by_code, b.latency_sum_ms, b.latency_buckets,
         q.p[1], q.p[2], q.p[3],
         b.evaluations,
         b.adoption
  FROM rollgate_metric_buckets(p_flag_id, p_environment, p_from, p_to, p_bucket_seconds) b,
       LATERAL (SELECT rollgate_latency_quantiles(b.latency_buckets, ARRAY[0.5, 0.95, 0.99]) AS p) q
  ORDER BY b.t, b.variant
$$;

SELECT rollgate_lock_down();

-- migrate:down

DROP FUNCTION rollgate_metric_series(uuid, text, timestamptz, timestamptz, integer);
DROP FUNCTION rollgate_metric_buckets(uuid, text, timestamptz, timestamptz, integer);

-- The definitions of 20261123002000_metric_views.sql, verbatim.

-- One flag in one environment, minutes in [p_from, p_to), grouped into buckets of p_bucket_seconds
-- (aligned to the Unix epoch; 60 … 86400 s, a multiple of 60), one row per bucket and variant that
-- saw traffic, all rollout phases summed: requests, errors, errors_by_code, latency_sum_ms, the
-- summed latency histogram, and adoption = the share of the bucket's requests (both variants) that
-- were served `on`. This is the fast core the API reads (it computes the percentiles from the
-- histogram itself, with the same rule); rollgate_metric_series adds rates and percentiles in SQL.
--
-- Plain SQL without SET or SECURITY DEFINER so the planner can inline it with the caller's values;
-- names are schema-qualified for that reason. One aggregation pass and no joins: the per-code
-- counts are grouped first and fed into the same final GROUP BY as extra rows, so the plan cannot
-- fall into a nested loop however stale the table's statistics are. Slot sums are float8 (exact up to
-- 2^53 per slot and bucket) because numeric sums cost several times more.
CREATE FUNCTION rollgate_metric_buckets(
  p_flag_id uuid,
  p_environment text,
  p_from timestamptz,
  p_to timestamptz,
  p_bucket_seconds integer
) RETURNS TABLE (
  t timestamptz,
  variant text,
  requests bigint,
  errors bigint,
  errors_by_code jsonb,
  latency_sum_ms double precision,
  latency_buckets bigint[],
  adoption double precision
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH src AS (
    SELECT pg_catalog.date_bin(pg_catalog.make_interval(secs => p_bucket_seconds), m.minute, timestamptz '1970-01-01 00:00:00+00') AS t,
           m.variant, m.requests, m.errors, m.errors_by_code, m.latency_sum_ms, m.latency_buckets
    FROM public.metric_rollups m
    WHERE m.flag_id = p_flag_id AND m.environment_key = p_environment AND m.variant IN ('on', 'off')
      AND m.minute >= p_from AND m.minute < p_to
  ), combined AS (
    SELECT s.t, s.variant, s.requests, s.errors, s.latency_sum_ms, s.latency_buckets, NULL::jsonb AS codes
    FROM src s
    UNION ALL
    SELECT c.t, c.variant, 0, 0, 0, NULL, pg_catalog.jsonb_object_agg(c.code, c.n)
    FROM (
      SELECT s.t, s.variant, e.key AS code, sum(e.value::bigint)::bigint AS n
      FROM src s, pg_catalog.jsonb_each_text(s.errors_by_code) AS e
      WHERE s.errors > 0
      GROUP BY s.t, s.variant, e.key
    ) c GROUP BY c.t, c.variant
  ), agg AS (
    SELECT c.t, c.variant, sum(c.requests)::bigint AS requests, sum(c.errors)::bigint AS errors,
           sum(c.latency_sum_ms) AS latency_sum_ms,
           ARRAY[sum(c.latency_buckets[1]::double precision),
             sum(c.latency_buckets[2]::double precision),
             sum(c.latency_buckets[3]::double precision),
             sum(c.latency_buckets[4]::double precision),
             sum(c.latency_buckets[5]::double precision),
             sum(c.latency_buckets[6]::double precision),
             sum(c.latency_buckets[7]::double precision),
             sum(c.latency_buckets[8]::double precision),
             sum(c.latency_buckets[9]::double precision),
             sum(c.latency_buckets[10]::double precision),
             sum(c.latency_buckets[11]::double precision),
             sum(c.latency_buckets[12]::double precision),
             sum(c.latency_buckets[13]::double precision),
             sum(c.latency_buckets[14]::double precision),
             sum(c.latency_buckets[15]::double precision),
             sum(c.latency_buckets[16]::double precision),
             sum(c.latency_buckets[17]::double precision),
             sum(c.latency_buckets[18]::double precision),
             sum(c.latency_buckets[19]::double precision),
             sum(c.latency_buckets[20]::double precision)]::bigint[] AS latency_buckets,
           (pg_catalog.array_agg(c.codes) FILTER (WHERE c.codes IS NOT NULL))[1] AS errors_by_code
    FROM combined c GROUP BY c.t, c.variant
  )
  SELECT a.t, a.variant, a.requests, a.errors, coalesce(a.errors_by_code, '{}'::jsonb), a.latency_sum_ms, a.latency_buckets,
         (sum(a.requests) FILTER (WHERE a.variant = 'on') OVER w)::double precision / nullif(sum(a.requests) OVER w, 0)
  FROM agg a
  WHERE a.requests > 0
  WINDOW w AS (PARTITION BY a.t)
  ORDER BY a.t, a.variant
$$;

-- rollgate_metric_buckets plus success_rate = 1 − errors/requests, error_rate = errors/requests and
-- p50/p95/p99 from the histogram (see the top of this file): the whole picture in SQL, e.g.
--   SELECT * FROM rollgate_metric_series((SELECT id FROM flags WHERE key = 'messaging-v2'),
--                                        'production', now() - interval '24 hours', now(), 3600);
CREATE FUNCTION rollgate_metric_series(
  p_flag_id uuid,
  p_environment text,
  p_from timestamptz,
  p_to timestamptz,
  p_bucket_seconds integer
) RETURNS TABLE (
  t timestamptz,
  variant text,
  requests bigint,
  errors bigint,
  success_rate double precision,
  error_rate double precision,
  errors_by_code jsonb,
  latency_sum_ms double precision,
  latency_buckets bigint[],
  p50_ms double precision,
  p95_ms double precision,
  p99_ms double precision,
  adoption double precision
)
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public AS $$
  SELECT b.t, b.variant, b.requests, b.errors,
         (b.requests - b.errors)::double precision / b.requests,
         b.errors::double precision / b.requests,
         b.errors_by_code, b.latency_sum_ms, b.latency_buckets,
         q.p[1], q.p[2], q.p[3],
         b.adoption
  FROM rollgate_metric_buckets(p_flag_id, p_environment, p_from, p_to, p_bucket_seconds) b,
       LATERAL (SELECT rollgate_latency_quantiles(b.latency_buckets, ARRAY[0.5, 0.95, 0.99]) AS p) q
  ORDER BY b.t, b.variant
$$;

-- Client-reported evaluations have nowhere to go in the older schema.
DELETE FROM metric_rollups WHERE reason = 'CLIENT_METRICS';
ALTER TABLE metric_rollups DROP CONSTRAINT metric_rollups_reason_check;
ALTER TABLE metric_rollups ADD CONSTRAINT metric_rollups_reason_check
  CHECK (reason IN ('SPLIT', 'TARGETING_MATCH', 'DISABLED', 'STATIC', 'UNKNOWN'));
ALTER TABLE metric_rollups DROP COLUMN evaluations;

SELECT rollgate_lock_down();
