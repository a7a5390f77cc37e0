-- migrate:up

-- Metrics for charts and gates, read from the per-minute rollups only (never the raw events).
--
-- Latency percentiles come from the fixed histogram every rollup row carries
-- (lib/domain/latency-buckets.ts: upper edges 5 … 10000 ms, then an overflow slot). The value
-- reported for quantile q is the UPPER EDGE of the slot holding the sample of nearest rank
-- ceil(q · n) — the slot of percentile_disc(q). So the exact nearest-rank quantile lies in
-- (previous edge, reported value]: the figure never understates it and overstates it by less than
-- that slot's width (5 ms up to 10 ms, … 5,000 ms between 5 s and 10 s). Above 10 s the value is
-- +Infinity (the API reports it as overflow). percentile_cont(q) interpolates between the samples of
-- rank floor/ceil of 1 + q·(n − 1), which are at most one rank from ceil(q · n); unless a slot edge
-- falls between those neighbouring samples it lies in the same slot, within the same bound.

-- The histogram's upper edges in ms, slot i (1-based) counts latency_ms in (edge[i-1], edge[i]].
-- Must equal LATENCY_EDGES_MS (a test compares them).
CREATE FUNCTION rollgate_latency_edges() RETURNS double precision[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
  SELECT ARRAY[5, 10, 25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000]::double precision[]
$$;

-- Upper edges of the slots holding the nearest-rank quantiles qs (each 0–1, ascending) of summed
-- slots, in one pass; NULLs without samples, +Infinity in the overflow slot. Same rule as
-- quantileUpperBoundMs in TypeScript (a test compares them). Not STRICT: the planner folds a STRICT
-- call with NULL arguments without checking EXECUTE, which the lock-down test counts as reachable.
CREATE FUNCTION rollgate_latency_quantiles(slots bigint[], qs double precision[]) RETURNS double precision[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
DECLARE
  edges constant double precision[] := public.rollgate_latency_edges() || 'Infinity'::double precision;
  nq constant integer := coalesce(array_length(qs, 1), 0);
  total bigint := 0;
  seen bigint := 0;
  x bigint;
  i integer := 0;
  k integer := 1;
  wanted double precision;
  result double precision[] := '{}';
BEGIN
  IF slots IS NULL OR nq = 0 THEN
    RETURN NULL;
  END IF;
  FOREACH x IN ARRAY slots LOOP
    total := total + coalesce(x, 0);
  END LOOP;
  IF total = 0 THEN
    RETURN array_fill(NULL::double precision, ARRAY[nq]);
  END IF;
  wanted := ceil(qs[1] * total);
  FOREACH x IN ARRAY slots LOOP
    i := i + 1;
    seen := seen + coalesce(x, 0);
    WHILE k <= nq AND seen >= wanted LOOP
      result := result || coalesce(edges[i], 'Infinity'::double precision);
      k := k + 1;
      IF k <= nq THEN
        wanted := ceil(qs[k] * total);
      END IF;
    END LOOP;
  END LOOP;
  WHILE k <= nq LOOP
    result := result || 'Infinity'::double precision;
    k := k + 1;
  END LOOP;
  RETURN result;
END $$;

CREATE FUNCTION rollgate_latency_quantile(slots bigint[], q double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, public AS $$
  SELECT (rollgate_latency_quantiles(slots, ARRAY[q]))[1]
$$;

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

SELECT rollgate_lock_down();

-- migrate:down

DROP FUNCTION rollgate_metric_series(uuid, text, timestamptz, timestamptz, integer);
DROP FUNCTION rollgate_metric_buckets(uuid, text, timestamptz, timestamptz, integer);
DROP FUNCTION rollgate_latency_quantile(bigint[], double precision);
DROP FUNCTION rollgate_latency_quantiles(bigint[], double precision[]);
DROP FUNCTION rollgate_latency_edges();
