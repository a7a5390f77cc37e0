-- migrate:up

-- A new environment has configuration (possibly no flags yet) that instances must load before SDK
-- tokens for it can evaluate: announce it like any other configuration change.
CREATE FUNCTION rollgate_environment_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rollgate_config', json_build_object('environment', NEW.key, 'version', NEW.config_version)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER environments_notify AFTER INSERT ON environments
  FOR EACH ROW EXECUTE FUNCTION rollgate_environment_added();

-- migrate:down

DROP TRIGGER environments_notify ON environments;
DROP FUNCTION rollgate_environment_added();
