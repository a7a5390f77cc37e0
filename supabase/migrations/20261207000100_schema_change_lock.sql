-- migrate:up

-- The functions that change the schema at run time take one transaction-level advisory lock first
-- (7346010003), so they take turns: rollgate_lock_down(), which start-up runs when it manages the app
-- role (DATABASE_URL as rollgate_app, DATABASE_MIGRATION_URL as the owner; it re-grants every table),
-- as do db:migrate and migrations, and the retention job's partition functions (which create and drop
-- the days of `events`). Run at the same moment, by an instance starting while another's retention
-- pass ran, they changed the same catalog rows (pg_class of the partitions being created, dropped
-- and re-granted) and one of them failed: "tuple concurrently updated", a deadlock, or "cache lookup
-- failed for relation" when a partition being granted was dropped. A failed lock-down stopped the new
-- instance's start-up. The start-up lock (lib/db/startup-lock.ts) only orders instances starting
-- together; the retention job runs whenever its hour comes. The lock is taken before anything else in
-- these functions, and the retention job commits its partition changes before its deletes (its
-- transaction holds no other table), so a wait for it can close a cycle only with a transaction that
-- holds a lock on `events` or its partitions first: a migration changing them takes this lock before
-- anything else (CONTRIBUTING).
CREATE OR REPLACE FUNCTION rollgate_lock_down() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  t regclass;
  api_roles text;
BEGIN
  -- One schema change at a time (see the top of this migration).
  PERFORM pg_advisory_xact_lock(7346010003);
  FOR t IN SELECT c.oid::regclass FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  END LOOP;
  SELECT string_agg(quote_ident(rolname), ', ') INTO api_roles
    FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role');
  EXECUTE 'REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA public FROM PUBLIC';
  IF api_roles IS NOT NULL THEN
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %s', api_roles);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %s', api_roles);
    EXECUTE format('REVOKE ALL ON ALL ROUTINES IN SCHEMA public FROM %s', api_roles);
  END IF;

  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rollgate_app') THEN
    GRANT USAGE ON SCHEMA public TO rollgate_app;
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM rollgate_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO rollgate_app;
    REVOKE INSERT, UPDATE, DELETE ON audit_log, audit_anchor FROM rollgate_app;
    GRANT INSERT ON audit_log TO rollgate_app;
    IF to_regclass('public.schema_migrations') IS NOT NULL THEN
      REVOKE ALL ON schema_migrations FROM rollgate_app;
    END IF;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO rollgate_app;
    GRANT EXECUTE ON ALL ROUTINES IN SCHEMA public TO rollgate_app;
    REVOKE EXECUTE ON FUNCTION rollgate_lock_down() FROM rollgate_app;
    FOR t IN SELECT c.oid::regclass FROM pg_class c
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
                AND c.relname <> 'schema_migrations'
                AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'rollgate_app_rows') LOOP
      EXECUTE format('CREATE POLICY rollgate_app_rows ON %s TO rollgate_app USING (true) WITH CHECK (true)', t);
    END LOOP;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION rollgate_ensure_event_partitions(p_from date, p_to date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  d date;
  part text;
  lo timestamptz;
  hi timestamptz;
  created integer := 0;
BEGIN
  -- One schema change at a time (see the top of this migration).
  PERFORM pg_advisory_xact_lock(7346010003);
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

CREATE OR REPLACE FUNCTION rollgate_prune_events(p_keep_since timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  part record;
  dropped integer := 0;
BEGIN
  -- One schema change at a time (see the top of this migration).
  PERFORM pg_advisory_xact_lock(7346010003);
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

-- migrate:down

CREATE OR REPLACE FUNCTION rollgate_lock_down() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  t regclass;
  api_roles text;
BEGIN
  FOR t IN SELECT c.oid::regclass FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  END LOOP;
  SELECT string_agg(quote_ident(rolname), ', ') INTO api_roles
    FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role');
  EXECUTE 'REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA public FROM PUBLIC';
  IF api_roles IS NOT NULL THEN
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %s', api_roles);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %s', api_roles);
    EXECUTE format('REVOKE ALL ON ALL ROUTINES IN SCHEMA public FROM %s', api_roles);
  END IF;

  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rollgate_app') THEN
    GRANT USAGE ON SCHEMA public TO rollgate_app;
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM rollgate_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO rollgate_app;
    REVOKE INSERT, UPDATE, DELETE ON audit_log, audit_anchor FROM rollgate_app;
    GRANT INSERT ON audit_log TO rollgate_app;
    IF to_regclass('public.schema_migrations') IS NOT NULL THEN
      REVOKE ALL ON schema_migrations FROM rollgate_app;
    END IF;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO rollgate_app;
    GRANT EXECUTE ON ALL ROUTINES IN SCHEMA public TO rollgate_app;
    REVOKE EXECUTE ON FUNCTION rollgate_lock_down() FROM rollgate_app;
    FOR t IN SELECT c.oid::regclass FROM pg_class c
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
                AND c.relname <> 'schema_migrations'
                AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'rollgate_app_rows') LOOP
      EXECUTE format('CREATE POLICY rollgate_app_rows ON %s TO rollgate_app USING (true) WITH CHECK (true)', t);
    END LOOP;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION rollgate_ensure_event_partitions(p_from date, p_to date) RETURNS integer
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

CREATE OR REPLACE FUNCTION rollgate_prune_events(p_keep_since timestamptz) RETURNS integer
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
