-- migrate:up

-- Issue 24: an engineer asks for the next phase's approval, optionally naming product owners, and a
-- thread of comments per phase (the request's note, questions, answers) is kept beside the forms.
-- Both are records of who said what when: rows are only ever added, as with approvals.

CREATE TABLE approval_requests (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Not tied to rollout_phases: a plan edit replaces those rows, and the request must outlive it.
  rollout_id      uuid NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
  phase_index     integer NOT NULL CHECK (phase_index >= 0),
  plan_version    integer NOT NULL,
  requested_by    uuid NOT NULL REFERENCES users(id),
  requested_at    timestamptz NOT NULL DEFAULT now(),
  -- Empty: any product owner may answer.
  product_owners  uuid[] NOT NULL DEFAULT ARRAY[]::uuid[],
  note            text CHECK (note IS NULL OR char_length(note) <= 2000)
);
CREATE INDEX approval_requests_rollout_idx ON approval_requests (rollout_id, phase_index, requested_at);

CREATE TABLE phase_comments (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  rollout_id      uuid NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
  phase_index     integer NOT NULL CHECK (phase_index >= 0),
  author_id       uuid NOT NULL REFERENCES users(id),
  -- The name at the time of writing, so the thread reads as it was written after a rename.
  author_name     text NOT NULL,
  body            text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phase_comments_rollout_idx ON phase_comments (rollout_id, phase_index, created_at);

-- Refuses every change to an existing row: what was asked or said stays as it was said.
CREATE FUNCTION rollgate_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  RAISE EXCEPTION '% are immutable records', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER approval_requests_immutable BEFORE UPDATE OR DELETE ON approval_requests
  FOR EACH ROW EXECUTE FUNCTION rollgate_append_only();
CREATE TRIGGER phase_comments_immutable BEFORE UPDATE OR DELETE ON phase_comments
  FOR EACH ROW EXECUTE FUNCTION rollgate_append_only();

-- Open rollout pages show the thread: a new request or comment refreshes them like an approval does.
CREATE TRIGGER approval_requests_notify AFTER INSERT ON approval_requests
  FOR EACH ROW EXECUTE FUNCTION rollgate_notify_rollout();
CREATE TRIGGER phase_comments_notify AFTER INSERT ON phase_comments
  FOR EACH ROW EXECUTE FUNCTION rollgate_notify_rollout();

SELECT rollgate_lock_down();

-- migrate:down

DROP TABLE phase_comments;
DROP TABLE approval_requests;
DROP FUNCTION rollgate_append_only();
