-- migrate:up

-- Each environment's configuration has a version that every change to its flag states bumps, in the
-- same transaction, and a NOTIFY that app instances use to reload their in-memory snapshot.
ALTER TABLE environments ADD COLUMN config_version bigint NOT NULL DEFAULT 1;

CREATE FUNCTION rollgate_bump_config(env text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v bigint;
BEGIN
  UPDATE environments SET config_version = config_version + 1 WHERE key = env RETURNING config_version INTO v;
  IF v IS NOT NULL THEN
    PERFORM pg_notify('rollgate_config', json_build_object('environment', env, 'version', v)::text);
  END IF;
END $$;

CREATE FUNCTION rollgate_flag_state_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM rollgate_bump_config(CASE WHEN TG_OP = 'DELETE' THEN OLD.environment_key ELSE NEW.environment_key END);
  RETURN NULL;
END $$;
CREATE TRIGGER flag_states_notify AFTER INSERT OR UPDATE OR DELETE ON flag_states
  FOR EACH ROW EXECUTE FUNCTION rollgate_flag_state_changed();

-- Renaming or archiving a flag changes what every environment serves.
CREATE FUNCTION rollgate_flag_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM rollgate_bump_config(e.key) FROM environments e;
  RETURN NULL;
END $$;
CREATE TRIGGER flags_notify AFTER UPDATE OF key, archived_at ON flags
  FOR EACH ROW WHEN (OLD.key IS DISTINCT FROM NEW.key OR OLD.archived_at IS DISTINCT FROM NEW.archived_at)
  EXECUTE FUNCTION rollgate_flag_changed();

-- SDK tokens are checked from memory on the data plane; tell instances when the set changes.
CREATE FUNCTION rollgate_tokens_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rollgate_tokens', '');
  RETURN NULL;
END $$;
CREATE TRIGGER api_tokens_notify AFTER INSERT OR UPDATE OF revoked_at, token_hash OR DELETE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION rollgate_tokens_changed();

-- migrate:down

DROP TRIGGER api_tokens_notify ON api_tokens;
DROP FUNCTION rollgate_tokens_changed();
DROP TRIGGER flags_notify ON flags;
DROP FUNCTION rollgate_flag_changed();
DROP TRIGGER flag_states_notify ON flag_states;
DROP FUNCTION rollgate_flag_state_changed();
DROP FUNCTION rollgate_bump_config(text);
ALTER TABLE environments DROP COLUMN config_version;
