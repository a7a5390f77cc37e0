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

SELECT rollgate_lock_down();

-- migrate:down

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
