-- migrate:up

-- A TRUNCATE of metric_rollups fires no row or statement trigger of the three that keep
-- metric_split_hours; the hours would go on saying what was there, and a reader that keeps hours by
-- their write counts (lib/metrics/split-rows-cache.ts) would go on serving it. Nothing truncates the
-- rollups today; an operator might.
CREATE FUNCTION rollgate_split_hours_truncated() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  DELETE FROM metric_split_hours;
  RETURN NULL;
END $$;

CREATE TRIGGER metric_rollups_split_hours_truncate AFTER TRUNCATE ON metric_rollups
  FOR EACH STATEMENT EXECUTE FUNCTION rollgate_split_hours_truncated();

SELECT rollgate_lock_down();

-- migrate:down

DROP TRIGGER metric_rollups_split_hours_truncate ON metric_rollups;
DROP FUNCTION rollgate_split_hours_truncated();
