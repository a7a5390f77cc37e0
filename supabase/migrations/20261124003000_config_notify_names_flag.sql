-- migrate:up

-- The configuration NOTIFY also names the flag whose state changed, so an instance can reload just
-- that flag instead of the environment's whole snapshot (lib/evaluation/config-store.ts). Changes
-- that touch many flags at once (a new environment, archiving) still name none: a full reload.
CREATE FUNCTION rollgate_bump_config_for_flag(env text, flag uuid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
  v bigint;
BEGIN
  UPDATE public.environments SET config_version = config_version + 1 WHERE key = env RETURNING config_version INTO v;
  IF v IS NOT NULL THEN
    PERFORM pg_notify('rollgate_config', json_build_object('environment', env, 'version', v, 'flag', flag)::text);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION rollgate_flag_state_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM rollgate_bump_config_for_flag(OLD.environment_key, OLD.flag_id);
  ELSE
    PERFORM rollgate_bump_config_for_flag(NEW.environment_key, NEW.flag_id);
  END IF;
  RETURN NULL;
END $$;

SELECT rollgate_lock_down();

-- migrate:down

CREATE OR REPLACE FUNCTION rollgate_flag_state_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM rollgate_bump_config(CASE WHEN TG_OP = 'DELETE' THEN OLD.environment_key ELSE NEW.environment_key END);
  RETURN NULL;
END $$;
DROP FUNCTION rollgate_bump_config_for_flag(text, uuid);
