-- migrate:up

-- The SQL twin of lib/domain/split-evidence.ts and latency-evidence.ts (issue 23): the same log E
-- from the same rollups, so a worker can compute the evidence next to the data and a test can hold
-- the two to 1e-9. Only SPLIT rows (served by the percentage rule) are a randomized comparison; each
-- minute sums its phases, because the test is conditional on each minute's request share and spans
-- the whole rollout. Why the math is valid at every look: lib/domain/split-evidence.ts.
--
-- Minute counts come out as double precision: the math is in floats, and counts stay exact to 2^53.

-- Requests and distinct erroring subjects per minute and arm since p_from (the open minute included).
CREATE FUNCTION rollgate_error_minutes(p_flag_id uuid, p_environment text, p_from timestamptz)
RETURNS TABLE (minute timestamptz, n_t double precision, n_c double precision, e_t double precision, e_c double precision)
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public AS $$
  SELECT r.minute,
         coalesce(sum(r.requests) FILTER (WHERE r.variant = 'on'), 0)::double precision,
         coalesce(sum(r.requests) FILTER (WHERE r.variant = 'off'), 0)::double precision,
         coalesce(sum(r.error_subjects) FILTER (WHERE r.variant = 'on'), 0)::double precision,
         coalesce(sum(r.error_subjects) FILTER (WHERE r.variant = 'off'), 0)::double precision
  FROM public.metric_rollups r
  WHERE r.flag_id = p_flag_id AND r.environment_key = p_environment AND r.reason = 'SPLIT' AND r.minute >= p_from
  GROUP BY r.minute
  ORDER BY r.minute
$$;

-- Timed requests and slow ones (slots whose lower edge is ≥ p_threshold_ms, i.e. latency above the
-- smallest edge ≥ the threshold) per minute and arm. Slot 1's lower edge is 0, slot i's is edge i−1.
CREATE FUNCTION rollgate_slow_minutes(p_flag_id uuid, p_environment text, p_from timestamptz, p_threshold_ms double precision)
RETURNS TABLE (minute timestamptz, n_t double precision, n_c double precision, e_t double precision, e_c double precision)
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public AS $$
  SELECT r.minute,
         coalesce(sum(h.total) FILTER (WHERE r.variant = 'on'), 0)::double precision,
         coalesce(sum(h.total) FILTER (WHERE r.variant = 'off'), 0)::double precision,
         coalesce(sum(h.slow) FILTER (WHERE r.variant = 'on'), 0)::double precision,
         coalesce(sum(h.slow) FILTER (WHERE r.variant = 'off'), 0)::double precision
  FROM public.metric_rollups r,
       LATERAL (
         SELECT coalesce(sum(u.b), 0) AS total,
                coalesce(sum(u.b) FILTER (WHERE CASE WHEN u.i = 1 THEN 0 ELSE (public.rollgate_latency_edges())[u.i - 1] END >= p_threshold_ms), 0) AS slow
         FROM unnest(r.latency_buckets) WITH ORDINALITY AS u(b, i)
       ) h
  WHERE r.flag_id = p_flag_id AND r.environment_key = p_environment AND r.reason = 'SPLIT' AND r.minute >= p_from
  GROUP BY r.minute
  ORDER BY r.minute
$$;

-- log E of the split e-process over minute arrays (one element per minute): for each ratio g of the
-- grid (RATIO_GRID in TypeScript), llr = Σ e_t·ln g − (e_t + e_c)·ln((1 + (g·θ0 − 1)·s)/(1 + (θ0 − 1)·s))
-- over minutes where both arms had requests (s = on's request share), divided by the temper φ̂, then
-- logsumexp with equal weights. exp is clamped at −700 because PostgreSQL raises on underflow; a term
-- below e^−700 of the largest cannot move the sum.
CREATE FUNCTION rollgate_split_log_evidence(
  p_n_t double precision[],
  p_n_c double precision[],
  p_e_t double precision[],
  p_e_c double precision[],
  p_theta0 double precision,
  p_temper double precision
) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
  WITH m AS (
    SELECT u.e_t, u.e_c, u.n_t / (u.n_t + u.n_c) AS s
    FROM unnest(p_n_t, p_n_c, p_e_t, p_e_c) AS u(n_t, n_c, e_t, e_c)
    WHERE u.n_t > 0 AND u.n_c > 0
  ), llr AS (
    SELECT g.k,
           coalesce(sum(m.e_t * ln(g.g) - (m.e_t + m.e_c) * ln((1 + (g.g * p_theta0 - 1) * m.s) / (1 + (p_theta0 - 1) * m.s))), 0)
             / p_temper AS v
    FROM unnest(ARRAY[1.1, 1.25, 1.5, 2, 3, 5, 10]::double precision[]) WITH ORDINALITY AS g(g, k)
    LEFT JOIN m ON true
    GROUP BY g.k
  ), top AS (
    SELECT max(llr.v) AS v FROM llr
  )
  SELECT top.v + ln(sum(exp(greatest(llr.v - top.v, -700))) / count(*))
  FROM llr, top
  GROUP BY top.v
$$;

-- The temper: the dispersion factor φ̂ = max(1, V_batch/V_binomial) from the minute batches once at
-- least 10 minutes have both arms, 1 before (dispersionFactor/temperFor in TypeScript).
CREATE FUNCTION rollgate_split_temper(
  p_n_t double precision[],
  p_n_c double precision[],
  p_e_t double precision[],
  p_e_c double precision[]
) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
  WITH m AS (
    SELECT u.n_t, u.n_c, u.e_t, u.e_c
    FROM unnest(p_n_t, p_n_c, p_e_t, p_e_c) AS u(n_t, n_c, e_t, e_c)
    WHERE u.n_t > 0 AND u.n_c > 0
  ), tot AS (
    SELECT count(*) AS m, sum(m.n_t) AS nt, sum(m.n_c) AS nc, sum(m.e_t) / sum(m.n_t) AS pt, sum(m.e_c) / sum(m.n_c) AS pc FROM m
  ), u AS (
    SELECT (m.e_t - tot.pt * m.n_t) / tot.nt - (m.e_c - tot.pc * m.n_c) / tot.nc AS u FROM m, tot
  ), v AS (
    SELECT tot.m,
           tot.pt * (1 - tot.pt) / tot.nt + tot.pc * (1 - tot.pc) / tot.nc AS binomial,
           tot.m::double precision / (tot.m - 1) * (SELECT sum(u.u * u.u) FROM u) AS batch
    FROM tot
    WHERE tot.m >= 10
  )
  SELECT coalesce((SELECT CASE WHEN v.binomial > 0 THEN greatest(1, v.batch / v.binomial) ELSE 1 END FROM v), 1)
$$;

-- The worker's calls. p_from is when the rollout started (or the flag was re-enabled after a kill);
-- p_theta0 the tolerated rate ratio (1: any worsening); p_temper the φ̂ of the *_temper function.
CREATE FUNCTION rollgate_error_evidence(
  p_flag_id uuid,
  p_environment text,
  p_from timestamptz,
  p_theta0 double precision,
  p_temper double precision
) RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public AS $$
  SELECT public.rollgate_split_log_evidence(array_agg(m.n_t), array_agg(m.n_c), array_agg(m.e_t), array_agg(m.e_c), p_theta0, p_temper)
  FROM public.rollgate_error_minutes(p_flag_id, p_environment, p_from) m
$$;

CREATE FUNCTION rollgate_error_temper(p_flag_id uuid, p_environment text, p_from timestamptz) RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public AS $$
  SELECT public.rollgate_split_temper(array_agg(m.n_t), array_agg(m.n_c), array_agg(m.e_t), array_agg(m.e_c))
  FROM public.rollgate_error_minutes(p_flag_id, p_environment, p_from) m
$$;

CREATE FUNCTION rollgate_slow_evidence(
  p_flag_id uuid,
  p_environment text,
  p_from timestamptz,
  p_threshold_ms double precision,
  p_theta0 double precision,
  p_temper double precision
) RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public AS $$
  SELECT public.rollgate_split_log_evidence(array_agg(m.n_t), array_agg(m.n_c), array_agg(m.e_t), array_agg(m.e_c), p_theta0, p_temper)
  FROM public.rollgate_slow_minutes(p_flag_id, p_environment, p_from, p_threshold_ms) m
$$;

CREATE FUNCTION rollgate_slow_temper(p_flag_id uuid, p_environment text, p_from timestamptz, p_threshold_ms double precision)
RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public AS $$
  SELECT public.rollgate_split_temper(array_agg(m.n_t), array_agg(m.n_c), array_agg(m.e_t), array_agg(m.e_c))
  FROM public.rollgate_slow_minutes(p_flag_id, p_environment, p_from, p_threshold_ms) m
$$;

SELECT rollgate_lock_down();

-- migrate:down

DROP FUNCTION rollgate_slow_temper(uuid, text, timestamptz, double precision);
DROP FUNCTION rollgate_slow_evidence(uuid, text, timestamptz, double precision, double precision, double precision);
DROP FUNCTION rollgate_error_temper(uuid, text, timestamptz);
DROP FUNCTION rollgate_error_evidence(uuid, text, timestamptz, double precision, double precision);
DROP FUNCTION rollgate_split_temper(double precision[], double precision[], double precision[], double precision[]);
DROP FUNCTION rollgate_split_log_evidence(
  double precision[], double precision[], double precision[], double precision[], double precision, double precision
);
DROP FUNCTION rollgate_slow_minutes(uuid, text, timestamptz, double precision);
DROP FUNCTION rollgate_error_minutes(uuid, text, timestamptz);
