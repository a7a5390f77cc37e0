-- migrate:up

-- Rollout phases that target segments (issue 25): a team's internal phase is "Staff" (email ends with
-- @acme.com), not a typed list of ids. A phase names segments by id; while it is live, the flag state
-- carries them in `rollout_segments`, which evaluation treats as one more strategy at 100 % after the
-- user's own (lib/domain/targeting/compile.ts). It is a column of its own, not part of `targeting`,
-- because the rollout owns it: advancing and rolling back set it, a targeting edit never clobbers it.
ALTER TABLE rollout_phases ADD COLUMN segments integer[] NOT NULL DEFAULT '{}';
ALTER TABLE flag_states ADD COLUMN rollout_segments integer[] NOT NULL DEFAULT '{}';

-- flag_state_segments now holds the segments of both: a segment a live phase serves cannot be
-- deleted, and editing it bumps the environment as editing one a strategy names does.
CREATE OR REPLACE FUNCTION rollgate_flag_state_segments_sync() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
  ids integer[];
BEGIN
  -- Nothing to do for a new state without segments (every flag creation) or an update that kept them.
  IF (TG_OP = 'INSERT' AND NEW.targeting IS NULL AND cardinality(NEW.rollout_segments) = 0)
     OR (TG_OP = 'UPDATE' AND OLD.targeting IS NOT DISTINCT FROM NEW.targeting AND OLD.rollout_segments = NEW.rollout_segments) THEN
    RETURN NULL;
  END IF;
  ids := ARRAY(SELECT DISTINCT x FROM unnest(rollgate_targeting_segments(NEW.targeting) || NEW.rollout_segments) AS x ORDER BY x);
  DELETE FROM flag_state_segments WHERE flag_id = NEW.flag_id AND environment_key = NEW.environment_key AND segment_id <> ALL (ids);
  INSERT INTO flag_state_segments (flag_id, environment_key, segment_id)
  SELECT NEW.flag_id, NEW.environment_key, id FROM unnest(ids) AS id
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
DROP TRIGGER flag_states_segments ON flag_states;
CREATE TRIGGER flag_states_segments AFTER INSERT OR UPDATE OF targeting, rollout_segments ON flag_states
  FOR EACH ROW EXECUTE FUNCTION rollgate_flag_state_segments_sync();

SELECT rollgate_lock_down();

-- migrate:down

DROP TRIGGER flag_states_segments ON flag_states;
CREATE OR REPLACE FUNCTION rollgate_flag_state_segments_sync() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  IF (TG_OP = 'INSERT' AND NEW.targeting IS NULL) OR (TG_OP = 'UPDATE' AND OLD.targeting IS NOT DISTINCT FROM NEW.targeting) THEN
    RETURN NULL;
  END IF;
  DELETE FROM flag_state_segments WHERE flag_id = NEW.flag_id AND environment_key = NEW.environment_key
     AND segment_id <> ALL (rollgate_targeting_segments(NEW.targeting));
  INSERT INTO flag_state_segments (flag_id, environment_key, segment_id)
  SELECT NEW.flag_id, NEW.environment_key, id FROM unnest(rollgate_targeting_segments(NEW.targeting)) AS id
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER flag_states_segments AFTER INSERT OR UPDATE OF targeting ON flag_states
  FOR EACH ROW EXECUTE FUNCTION rollgate_flag_state_segments_sync();
ALTER TABLE flag_states DROP COLUMN rollout_segments;
ALTER TABLE rollout_phases DROP COLUMN segments;
