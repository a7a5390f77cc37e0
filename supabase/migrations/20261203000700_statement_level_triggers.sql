-- migrate:up

-- A statement that writes many flag states (the Unleash import: 10,000 flags in two statements) used
-- to bump its environment's config version once per row: 20,000 updates of the same two rows and as
-- many NOTIFYs in one transaction, most of the import's time. Now once per statement and environment:
-- naming the flag when the statement changed exactly one there (an instance then reloads just that
-- flag, as before for every single-flag writer), else naming none (a full reload of the environment).
-- Transition tables need one trigger per event.
CREATE FUNCTION rollgate_flag_states_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  FOR changed IN
    SELECT environment_key, min(flag_id::text)::uuid AS flag, count(DISTINCT flag_id) AS flags
      FROM rollgate_changed_states GROUP BY environment_key ORDER BY environment_key
  LOOP
    IF changed.flags = 1 THEN
      PERFORM rollgate_bump_config_for_flag(changed.environment_key, changed.flag);
    ELSE
      PERFORM rollgate_bump_config(changed.environment_key);
    END IF;
  END LOOP;
  RETURN NULL;
END $$;

DROP TRIGGER flag_states_notify ON flag_states;
CREATE TRIGGER flag_states_notify_insert AFTER INSERT ON flag_states
  REFERENCING NEW TABLE AS rollgate_changed_states FOR EACH STATEMENT EXECUTE FUNCTION rollgate_flag_states_changed();
CREATE TRIGGER flag_states_notify_update AFTER UPDATE ON flag_states
  REFERENCING NEW TABLE AS rollgate_changed_states FOR EACH STATEMENT EXECUTE FUNCTION rollgate_flag_states_changed();
CREATE TRIGGER flag_states_notify_delete AFTER DELETE ON flag_states
  REFERENCING OLD TABLE AS rollgate_changed_states FOR EACH STATEMENT EXECUTE FUNCTION rollgate_flag_states_changed();

-- Likewise a flag's states in every environment: one INSERT for all the flags a statement created
-- (so the states' own trigger above fires once, not once per flag).
CREATE FUNCTION rollgate_flag_states_for_new_flags() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO flag_states (flag_id, environment_key)
  SELECT n.id, e.key FROM rollgate_new_flags n CROSS JOIN environments e
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

DROP TRIGGER flags_create_states ON flags;
CREATE TRIGGER flags_create_states AFTER INSERT ON flags
  REFERENCING NEW TABLE AS rollgate_new_flags FOR EACH STATEMENT EXECUTE FUNCTION rollgate_flag_states_for_new_flags();

-- The audit chain's head (audit_anchor) moves once per statement, no longer once per entry: a
-- statement appending 10,000 entries (the import) updated that one row 10,000 times in one
-- transaction, and each update left a version the next entry's read had to step over. Each entry
-- still chains onto the one before: the anchor's head, or the newest entry past it, which can only be
-- an earlier row of the same statement (appenders hold the chain's advisory lock, and every statement
-- moves the anchor to its last entry before it ends).
CREATE OR REPLACE FUNCTION rollgate_audit_chain() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
  head audit_anchor%ROWTYPE;
  prev_id bigint;
  prev_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(7346010001);
  SELECT * INTO head FROM audit_anchor WHERE singleton;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit_anchor is missing: the audit log cannot be appended to (run npm run audit:verify)'
      USING ERRCODE = 'data_corrupted';
  END IF;
  SELECT a.id, a.hash INTO prev_id, prev_hash FROM audit_log a WHERE a.id > head.last_id ORDER BY a.id DESC LIMIT 1;
  IF prev_id IS NULL THEN
    prev_id := head.last_id;
    prev_hash := head.last_hash;
  END IF;
  NEW.id := prev_id + 1;
  NEW.at := clock_timestamp();
  NEW.prev_hash := prev_hash;
  NEW.hash := rollgate_audit_hash(NEW.prev_hash, NEW.id, NEW.at, NEW.actor_id, NEW.actor, NEW.action,
                                  NEW.target_type, NEW.target_id, NEW.before, NEW.after, NEW.reason);
  RETURN NEW;
END $$;

CREATE FUNCTION rollgate_audit_anchor_advance() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
  UPDATE audit_anchor a
     SET last_id = n.id, last_hash = n.hash, entries = a.entries + n.added, updated_at = n.at
    FROM (SELECT id, hash, at, count(*) OVER () AS added FROM rollgate_new_entries ORDER BY id DESC LIMIT 1) n
   WHERE a.singleton;
  RETURN NULL;
END $$;
CREATE TRIGGER audit_log_anchor AFTER INSERT ON audit_log
  REFERENCING NEW TABLE AS rollgate_new_entries FOR EACH STATEMENT EXECUTE FUNCTION rollgate_audit_anchor_advance();

-- The flag search (`q`) over a function the planner knows is costly per row. Over the bare
-- lower(key || E'\n' || description) it priced a sequential scan (lowering 10,000 descriptions of up
-- to 500 characters, 100 ms) below the trigram index (5 ms): it charges an expression the same
-- whatever the length of its text. A SQL function with a SET clause is not inlined, so its COST stands.
CREATE FUNCTION rollgate_flag_search_text(flag_key text, flag_description text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 1000
SET search_path = pg_catalog
AS $$ SELECT lower(flag_key || E'\n' || flag_description) $$;

DROP INDEX flags_search_trgm;
DO $$
DECLARE
  s text;
BEGIN
  SELECT n.nspname INTO s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  EXECUTE format(
    'CREATE INDEX flags_search_trgm ON flags USING gin (rollgate_flag_search_text(key, description) %I.gin_trgm_ops) WHERE archived_at IS NULL',
    s);
END $$;

SELECT rollgate_lock_down();

-- migrate:down

DROP INDEX flags_search_trgm;
DO $$
DECLARE
  s text;
BEGIN
  SELECT n.nspname INTO s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  EXECUTE format(
    'CREATE INDEX flags_search_trgm ON flags USING gin ((lower(key || E''\n'' || description)) %I.gin_trgm_ops) WHERE archived_at IS NULL',
    s);
END $$;
DROP FUNCTION rollgate_flag_search_text(text, text);

DROP TRIGGER audit_log_anchor ON audit_log;
DROP FUNCTION rollgate_audit_anchor_advance();
CREATE OR REPLACE FUNCTION rollgate_audit_chain() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
  head audit_anchor%ROWTYPE;
BEGIN
  PERFORM pg_advisory_xact_lock(7346010001);
  SELECT * INTO head FROM audit_anchor WHERE singleton;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit_anchor is missing: the audit log cannot be appended to (run npm run audit:verify)'
      USING ERRCODE = 'data_corrupted';
  END IF;
  NEW.id := head.last_id + 1;
  NEW.at := clock_timestamp();
  NEW.prev_hash := head.last_hash;
  NEW.hash := rollgate_audit_hash(NEW.prev_hash, NEW.id, NEW.at, NEW.actor_id, NEW.actor, NEW.action,
                                  NEW.target_type, NEW.target_id, NEW.before, NEW.after, NEW.reason);
  UPDATE audit_anchor SET last_id = NEW.id, last_hash = NEW.hash, entries = entries + 1, updated_at = NEW.at
    WHERE singleton;
  RETURN NEW;
END $$;

DROP TRIGGER flags_create_states ON flags;
CREATE TRIGGER flags_create_states AFTER INSERT ON flags
  FOR EACH ROW EXECUTE FUNCTION rollgate_flag_states_for_new_flag();
DROP FUNCTION rollgate_flag_states_for_new_flags();

DROP TRIGGER flag_states_notify_insert ON flag_states;
DROP TRIGGER flag_states_notify_update ON flag_states;
DROP TRIGGER flag_states_notify_delete ON flag_states;
CREATE TRIGGER flag_states_notify AFTER INSERT OR UPDATE OR DELETE ON flag_states
  FOR EACH ROW EXECUTE FUNCTION rollgate_flag_state_changed();
DROP FUNCTION rollgate_flag_states_changed();
