-- migrate:up

-- The app connects as `rollgate_app`, not as the owner of its tables: it can read and write rows
-- (row-level security lets it through by a policy of its own) but not change the schema, disable
-- triggers, set session_replication_role (superuser only), edit or delete audit entries, or move the
-- audit chain's anchor except through the audit trigger. Migrations keep running as the owner.
-- Created without LOGIN: whoever runs Rollgate gives it a password (`npm start` does so itself for
-- the embedded database, see lib/db/app-role.ts). Cluster-wide, so the down section keeps it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rollgate_app') THEN
    BEGIN
      CREATE ROLE rollgate_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL; -- created concurrently by another database's migration
      WHEN insufficient_privilege THEN
        RAISE NOTICE 'cannot create role rollgate_app (no CREATEROLE): the app keeps connecting as the owner';
    END;
  END IF;
END $$;

-- rollgate_lock_down() now also grants the app role what it needs, on every object a migration
-- adds: DML on every table except the audit log (INSERT and SELECT only) and its anchor (SELECT
-- only; the SECURITY DEFINER audit trigger moves it), its sequences, EXECUTE on the functions, and a
-- row-level-security policy per table that applies to it alone.
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

SELECT rollgate_lock_down();

-- migrate:down

DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT p.polrelid::regclass FROM pg_policy p
            JOIN pg_class c ON c.oid = p.polrelid
            WHERE c.relnamespace = 'public'::regnamespace AND p.polname = 'rollgate_app_rows' LOOP
    EXECUTE format('DROP POLICY rollgate_app_rows ON %s', t);
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rollgate_app') THEN
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM rollgate_app;
    REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM rollgate_app;
    REVOKE ALL ON ALL ROUTINES IN SCHEMA public FROM rollgate_app;
    REVOKE ALL ON SCHEMA public FROM rollgate_app;
  END IF;
END $$;

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
END $$;
