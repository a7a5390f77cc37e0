-- migrate:up

-- 1. Raw events are bounded: one partition per UTC day, so pruning a day is a DROP TABLE instead of
--    a DELETE that bloats the table and its index. A DEFAULT partition catches anything outside the
--    partitions that exist (an event for a day nobody created yet), so ingestion never fails on
--    that; the retention worker creates the days ahead and prunes the default partition as well.
--    Events now carry the evaluation reason the SDK saw (SPLIT, TARGETING_MATCH, DISABLED, STATIC;
--    UNKNOWN when a client does not say), so a split's traffic can be told apart from traffic an
--    allowlist, a kill or a 0/100 % rule served.
ALTER TABLE events RENAME TO events_unpartitioned;
ALTER INDEX events_flag_time_idx RENAME TO events_unpartitioned_flag_time_idx;
ALTER INDEX events_pkey RENAME TO events_unpartitioned_pkey;
ALTER SEQUENCE events_id_seq RENAME TO events_unpartitioned_id_seq;

-- A plain sequence rather than an identity column: identity columns on partitioned tables need
-- PostgreSQL 17, and Supabase projects still run 15.
CREATE SEQUENCE events_id_seq AS bigint;
SELECT setval('events_id_seq', coalesce((SELECT max(id) FROM events_unpartitioned), 0) + 1, false);

-- No foreign keys: two key lookups per row were half the cost of storing an event. The ingestion
-- statement only stores events of flags it found and of the token's environment, flags are archived
-- rather than deleted, and retention drops every row within days anyway.
CREATE TABLE events (
  id               bigint NOT NULL DEFAULT nextval('events_id_seq'),
  flag_id          uuid NOT NULL,
  environment_key  text NOT NULL,
  variant          text NOT NULL CHECK (variant IN ('on','off')),
  reason           text NOT NULL DEFAULT 'UNKNOWN'
                   CHECK (reason IN ('SPLIT', 'TARGETING_MATCH', 'DISABLED', 'STATIC', 'UNKNOWN')),
  outcome          text NOT NULL CHECK (outcome IN ('success','error')),
  latency_ms       double precision NOT NULL CHECK (latency_ms >= 0),
  error_code       text,
  targeting_key    text,
  occurred_at      timestamptz NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE events_id_seq OWNED BY events.id;
CREATE INDEX events_flag_time_idx ON events (flag_id, environment_key, occurred_at);
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- Creates the daily partitions for [p_from, p_to] (UTC days) that do not exist yet and returns how
-- many it created. Rows of such a day already in the default partition are moved into the new one
-- (PostgreSQL refuses to create a partition whose rows sit in the default). SECURITY DEFINER so an
-- application role that owns nothing can still run the retention worker; search_path is pinned.
CREATE FUNCTION rollgate_ensure_event_partitions(p_from date, p_to date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  d date;
  part text;
  lo timestamptz;
  hi timestamptz;
  created integer := 0;
BEGIN
  IF p_to - p_from > 400 THEN
    RAISE EXCEPTION 'at most 400 days at a time' USING ERRCODE = '22023';
  END IF;
  d := p_from;
  WHILE d <= p_to LOOP
    part := 'events_p' || to_char(d, 'YYYYMMDD');
    IF to_regclass('public.' || part) IS NULL THEN
      lo := d::timestamp AT TIME ZONE 'UTC';
      hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
      CREATE TEMP TABLE rollgate_moved_events ON COMMIT DROP AS
        WITH moved AS (DELETE FROM public.events_default WHERE occurred_at >= lo AND occurred_at < hi RETURNING *)
        SELECT * FROM moved;
      EXECUTE format('CREATE TABLE public.%I PARTITION OF public.events FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
      EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', part);
      INSERT INTO public.events SELECT * FROM rollgate_moved_events;
      DROP TABLE rollgate_moved_events;
      created := created + 1;
    END IF;
    d := d + 1;
  END LOOP;
  RETURN created;
END $$;

-- Drops the daily partitions that end at or before p_keep_since and deletes older rows from the
-- default partition; returns the number of partitions dropped.
CREATE FUNCTION rollgate_prune_events(p_keep_since timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  part record;
  dropped integer := 0;
BEGIN
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'public.events'::regclass AND c.relname ~ '^events_p[0-9]{8}$'
      AND ((to_date(substr(c.relname, 9), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC') <= p_keep_since
  LOOP
    EXECUTE format('DROP TABLE public.%I', part.relname);
    dropped := dropped + 1;
  END LOOP;
  DELETE FROM public.events_default WHERE occurred_at < p_keep_since;
  RETURN dropped;
END $$;

-- The accepted window for events is 7 days back and 5 minutes ahead: create those days (and a few
-- ahead) now, then move the old rows in.
SELECT rollgate_ensure_event_partitions((now() AT TIME ZONE 'UTC')::date - 8, (now() AT TIME ZONE 'UTC')::date + 3);
INSERT INTO events (id, flag_id, environment_key, variant, outcome, latency_ms, error_code, targeting_key, occurred_at, received_at)
  SELECT id, flag_id, environment_key, variant, outcome, latency_ms, error_code, targeting_key, occurred_at, received_at
  FROM events_unpartitioned;
DROP TABLE events_unpartitioned;

-- 2. Rollups fit for comparison: traffic is kept apart by evaluation reason, and every row carries
--    its distinct subjects (a HyperLogLog sketch, mergeable across rows: lib/domain/subject-sketch.ts)
--    and its exact number of distinct erroring subjects.
ALTER TABLE metric_rollups
  ADD COLUMN reason text NOT NULL DEFAULT 'UNKNOWN'
    CHECK (reason IN ('SPLIT', 'TARGETING_MATCH', 'DISABLED', 'STATIC', 'UNKNOWN')),
  -- 256 one-byte registers (precision 8): standard error 1.04 / sqrt(256) = 6.5 %, exact-ish
  -- below a few hundred subjects thanks to linear counting. NULL for rows without targeting keys.
  ADD COLUMN subjects_sketch bytea CHECK (subjects_sketch IS NULL OR length(subjects_sketch) = 256),
  ADD COLUMN error_subjects bigint NOT NULL DEFAULT 0;
ALTER TABLE metric_rollups DROP CONSTRAINT metric_rollups_pkey;
ALTER TABLE metric_rollups ADD PRIMARY KEY (flag_id, environment_key, variant, minute, phase, reason);

-- Who erred, per rollup row: exact distinct counting needs the set, kept as md5 of the targeting
-- key. Errors are rare, so this stays small; it is pruned with the raw events, after which no late
-- event for those minutes can arrive any more.
CREATE TABLE metric_error_subjects (
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key),
  variant          text NOT NULL CHECK (variant IN ('on','off')),
  minute           timestamptz NOT NULL,
  phase            integer NOT NULL,
  reason           text NOT NULL,
  subject          uuid NOT NULL,
  PRIMARY KEY (flag_id, environment_key, variant, minute, phase, reason, subject)
);

-- Register-wise maximum of two sketches: the union of their subjects.
CREATE FUNCTION rollgate_sketch_union(a bytea, b bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
DECLARE
  r bytea;
BEGIN
  IF a IS NULL THEN RETURN b; END IF;
  IF b IS NULL THEN RETURN a; END IF;
  r := a;
  FOR i IN 0 .. length(a) - 1 LOOP
    IF get_byte(b, i) > get_byte(r, i) THEN
      r := set_byte(r, i, get_byte(b, i));
    END IF;
  END LOOP;
  RETURN r;
END $$;

SELECT rollgate_lock_down();

-- migrate:down

DROP FUNCTION rollgate_sketch_union(bytea, bytea);
DROP TABLE metric_error_subjects;

-- Fold the reasons back together before the old key returns.
CREATE TEMP TABLE rollgate_folded AS
  SELECT m.flag_id, m.environment_key, m.variant, m.minute, m.phase,
         sum(m.requests)::bigint AS requests, sum(m.errors)::bigint AS errors, sum(m.latency_sum_ms) AS latency_sum_ms,
         (SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb) FROM (
            SELECT e.key AS k, sum(e.value::bigint) AS n FROM metric_rollups m2, jsonb_each_text(m2.errors_by_code) e
            WHERE (m2.flag_id, m2.environment_key, m2.variant, m2.minute, m2.phase) = (m.flag_id, m.environment_key, m.variant, m.minute, m.phase)
            GROUP BY e.key) c) AS errors_by_code,
         (SELECT array_agg(s ORDER BY i) FROM (
            SELECT u.i, sum(u.b)::bigint AS s FROM metric_rollups m2, unnest(m2.latency_buckets) WITH ORDINALITY AS u(b, i)
            WHERE (m2.flag_id, m2.environment_key, m2.variant, m2.minute, m2.phase) = (m.flag_id, m.environment_key, m.variant, m.minute, m.phase)
            GROUP BY u.i) z) AS latency_buckets
  FROM metric_rollups m
  GROUP BY m.flag_id, m.environment_key, m.variant, m.minute, m.phase;
DELETE FROM metric_rollups;
ALTER TABLE metric_rollups DROP CONSTRAINT metric_rollups_pkey;
ALTER TABLE metric_rollups DROP COLUMN reason, DROP COLUMN subjects_sketch, DROP COLUMN error_subjects;
ALTER TABLE metric_rollups ADD PRIMARY KEY (flag_id, environment_key, variant, minute, phase);
INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, phase, requests, errors, errors_by_code, latency_sum_ms, latency_buckets)
  SELECT flag_id, environment_key, variant, minute, phase, requests, errors, errors_by_code, latency_sum_ms, latency_buckets FROM rollgate_folded;
DROP TABLE rollgate_folded;

CREATE TABLE events_unpartitioned (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key),
  variant          text NOT NULL CHECK (variant IN ('on','off')),
  outcome          text NOT NULL CHECK (outcome IN ('success','error')),
  latency_ms       double precision NOT NULL CHECK (latency_ms >= 0),
  error_code       text,
  targeting_key    text,
  occurred_at      timestamptz NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO events_unpartitioned (id, flag_id, environment_key, variant, outcome, latency_ms, error_code, targeting_key, occurred_at, received_at)
  OVERRIDING SYSTEM VALUE
  SELECT id, flag_id, environment_key, variant, outcome, latency_ms, error_code, targeting_key, occurred_at, received_at FROM events;
SELECT setval(pg_get_serial_sequence('events_unpartitioned', 'id'), coalesce((SELECT max(id) FROM events_unpartitioned), 0) + 1, false);
DROP TABLE events;
DROP FUNCTION rollgate_prune_events(timestamptz);
DROP FUNCTION rollgate_ensure_event_partitions(date, date);
ALTER TABLE events_unpartitioned RENAME TO events;
ALTER INDEX events_unpartitioned_pkey RENAME TO events_pkey;
ALTER SEQUENCE events_unpartitioned_id_seq RENAME TO events_id_seq;
CREATE INDEX events_flag_time_idx ON events (flag_id, environment_key, occurred_at);
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
