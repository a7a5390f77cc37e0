-- migrate:up

-- Open rollout pages update when anything they show changes: the rollout row (phase, status, plan),
-- its approvals and its checklist. One NOTIFY per statement-row, sent at commit; the payload names
-- the rollout only (pages read the rest themselves, with the reader's permissions).
CREATE FUNCTION rollgate_notify_rollout() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
  rollout uuid;
BEGIN
  IF TG_TABLE_NAME = 'rollouts' THEN
    rollout := COALESCE(NEW.id, OLD.id);
  ELSE
    rollout := COALESCE(NEW.rollout_id, OLD.rollout_id);
  END IF;
  PERFORM pg_notify('rollgate_rollouts', json_build_object('id', rollout)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER rollouts_notify AFTER INSERT OR UPDATE ON rollouts
  FOR EACH ROW EXECUTE FUNCTION rollgate_notify_rollout();
CREATE TRIGGER approvals_notify AFTER INSERT OR UPDATE ON approvals
  FOR EACH ROW EXECUTE FUNCTION rollgate_notify_rollout();
CREATE TRIGGER checklist_ticks_notify AFTER INSERT OR DELETE ON checklist_ticks
  FOR EACH ROW EXECUTE FUNCTION rollgate_notify_rollout();

SELECT rollgate_lock_down();

-- migrate:down

DROP TRIGGER checklist_ticks_notify ON checklist_ticks;
DROP TRIGGER approvals_notify ON approvals;
DROP TRIGGER rollouts_notify ON rollouts;
DROP FUNCTION rollgate_notify_rollout();
