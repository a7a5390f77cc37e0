-- migrate:up

-- Incident triage (issue 24): how bad it is and who is on it. Severity is set at kill time (sev1 in
-- production) and changed by whoever triages; the assignee is a user, kept when the user is disabled
-- and cleared only if the user row itself goes. Notes are incident_events of kind 'note', which are
-- already append-only.
ALTER TABLE incidents
  ADD COLUMN severity text NOT NULL DEFAULT 'sev2' CHECK (severity IN ('sev1', 'sev2', 'sev3')),
  ADD COLUMN assignee_id uuid REFERENCES users(id) ON DELETE SET NULL;

-- migrate:down

ALTER TABLE incidents DROP COLUMN assignee_id, DROP COLUMN severity;
