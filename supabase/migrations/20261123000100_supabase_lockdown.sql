-- migrate:up

-- Supabase serves every table, view and function in `public` through its Data API (PostgREST and
-- pg_graphql) to the `anon` and `authenticated` roles, and by default grants them everything the
-- `postgres` role creates there. Rollgate never uses the Data API: it connects as the owner of its
-- objects. So nothing of Rollgate's is granted to the API roles, and row-level security is on with no
-- policy, which refuses every row even if a grant comes back by mistake. The owner bypasses RLS (it is
-- not forced), so the app and these migrations are unaffected.

-- The API roles exist on Supabase; creating them elsewhere (embedded or plain PostgreSQL) lets the same
-- migrations, and the protection test, run everywhere. They are cluster-wide and may predate Rollgate,
-- so the down section never drops them.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', r);
      EXCEPTION
        WHEN duplicate_object OR unique_violation THEN NULL; -- created concurrently by another database's migration
        WHEN insufficient_privilege THEN
          RAISE NOTICE 'cannot create role % (no CREATEROLE): nothing to protect against on this server', r;
      END;
    END IF;
  END LOOP;
END $$;

-- Idempotent: enables RLS on every table in `public` and takes every privilege on every relation and
-- routine there away from the API roles (and EXECUTE from PUBLIC, which PostgreSQL grants by default).
-- A migration that adds tables, views, sequences or functions ends with `SELECT rollgate_lock_down();`;
-- tests/integration/supabase-lockdown.test.ts fails for any object that is left reachable.
CREATE FUNCTION rollgate_lock_down() RETURNS void
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
END $$;

SELECT rollgate_lock_down();

-- Objects this role creates in `public` later are not granted to the API roles (on Supabase, undoes
-- the platform's default grants for the `postgres` role; elsewhere there is nothing to undo).
DO $$
DECLARE
  api_roles text;
BEGIN
  SELECT string_agg(quote_ident(rolname), ', ') INTO api_roles
    FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role');
  IF api_roles IS NOT NULL THEN
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM %s', api_roles);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM %s', api_roles);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON ROUTINES FROM %s', api_roles);
  END IF;
END $$;

-- migrate:down

-- Back to PostgreSQL's defaults: RLS off, EXECUTE for PUBLIC. Nothing is granted back to the API roles
-- (rolling back must not expose data), the default-privilege revokes stay for the same reason, and the
-- roles stay because they are shared by the whole server.
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT c.oid::regclass FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relrowsecurity LOOP
    EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', t);
  END LOOP;
END $$;
DROP FUNCTION rollgate_lock_down();
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA public TO PUBLIC;
