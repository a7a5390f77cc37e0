-- migrate:up

-- An incident is opened by a kill (by a person or, later, a guardrail) and closed with a report in
-- the seeds' format. Timeline entries (incident_events) are append-only, like the audit log.
ALTER TABLE incidents
  ADD COLUMN reason        text NOT NULL DEFAULT '',
  ADD COLUMN opened_by_label text NOT NULL DEFAULT '',
  ADD COLUMN rollout_id    uuid REFERENCES rollouts(id),
  ADD COLUMN resolved_by   uuid REFERENCES users(id),
  ADD COLUMN report        jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN version       integer NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE incident_events ADD COLUMN actor text NOT NULL DEFAULT '';

-- At most one open (unresolved) incident per flag and environment: a second kill joins it.
CREATE UNIQUE INDEX incidents_one_open_idx ON incidents (flag_id, environment_key) WHERE status <> 'resolved';

CREATE FUNCTION rollgate_incident_events_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  RAISE EXCEPTION 'incident timelines are append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER incident_events_append_only BEFORE UPDATE OR DELETE ON incident_events
  FOR EACH ROW EXECUTE FUNCTION rollgate_incident_events_append_only();

SELECT rollgate_lock_down();

-- migrate:down

DROP TRIGGER incident_events_append_only ON incident_events;
DROP FUNCTION rollgate_incident_events_append_only();
DROP INDEX incidents_one_open_idx;
ALTER TABLE incident_events DROP COLUMN actor;
ALTER TABLE incidents
  DROP COLUMN version, DROP COLUMN report, DROP COLUMN resolved_by, DROP COLUMN rollout_id,
  DROP COLUMN opened_by_label, DROP COLUMN reason;
