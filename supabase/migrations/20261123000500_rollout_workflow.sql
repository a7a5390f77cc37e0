-- migrate:up

-- What the plan needs beyond its phases: the requester's impact assessment (Appendix C), opt-in
-- automatic progression, the flag state to restore on roll back, and who last edited the plan
-- (they, like the requester, may not approve it).
ALTER TABLE rollouts
  ADD COLUMN impact          jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN auto_advance    boolean NOT NULL DEFAULT false,
  ADD COLUMN state_before    jsonb,
  ADD COLUMN last_edited_by  uuid REFERENCES users(id),
  ADD COLUMN plan_changed_at timestamptz,
  ADD COLUMN ended_reason    text,
  ADD COLUMN ended_at        timestamptz,
  ADD COLUMN overrides       jsonb NOT NULL DEFAULT '[]'::jsonb;

-- An "internal" phase serves an allowlist only; a phase may name the earliest time it may start.
ALTER TABLE rollout_phases
  ADD COLUMN allowlist  text[] NOT NULL DEFAULT ARRAY[]::text[],
  ADD COLUMN not_before timestamptz;

-- Approvals and ticks outlive plan edits (a voided form is shown, never deleted), so they hang off
-- the rollout, not off a phase row that an edit may remove.
ALTER TABLE approvals DROP CONSTRAINT approvals_rollout_id_phase_index_fkey;
ALTER TABLE checklist_ticks DROP CONSTRAINT checklist_ticks_rollout_id_phase_index_fkey;
ALTER TABLE checklist_ticks
  ADD CONSTRAINT checklist_ticks_rollout_id_fkey FOREIGN KEY (rollout_id) REFERENCES rollouts(id) ON DELETE CASCADE;

ALTER TABLE approvals
  ADD COLUMN signer_name  text NOT NULL DEFAULT '',
  ADD COLUMN content_hash text NOT NULL DEFAULT '';

-- A signed form is a record: nothing about it changes except, once, who superseded it.
CREATE FUNCTION rollgate_approvals_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'approvals are immutable records' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.superseded_by IS NOT NULL OR NEW.superseded_by IS NULL
     OR (to_jsonb(NEW) - 'superseded_by') IS DISTINCT FROM (to_jsonb(OLD) - 'superseded_by') THEN
    RAISE EXCEPTION 'approvals are immutable records' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER approvals_immutable BEFORE UPDATE OR DELETE ON approvals
  FOR EACH ROW EXECUTE FUNCTION rollgate_approvals_immutable();

-- A new form by the same signer supersedes the old one in one transaction: the old row is pointed
-- at the new id first (so the one-live-form-per-signer index never sees two), the row follows.
ALTER TABLE approvals ALTER CONSTRAINT approvals_superseded_by_fkey DEFERRABLE INITIALLY DEFERRED;

CREATE INDEX approvals_rollout_idx ON approvals (rollout_id, phase_index);
CREATE INDEX rollouts_active_auto_idx ON rollouts (status) WHERE auto_advance AND status = 'active';

-- Keep the new function out of reach of Supabase's API roles, like everything else.
SELECT rollgate_lock_down();

-- migrate:down

DROP INDEX rollouts_active_auto_idx;
DROP INDEX approvals_rollout_idx;
ALTER TABLE approvals ALTER CONSTRAINT approvals_superseded_by_fkey NOT DEFERRABLE;
DROP TRIGGER approvals_immutable ON approvals;
DROP FUNCTION rollgate_approvals_immutable();
ALTER TABLE approvals DROP COLUMN content_hash, DROP COLUMN signer_name;
ALTER TABLE checklist_ticks DROP CONSTRAINT checklist_ticks_rollout_id_fkey;
ALTER TABLE checklist_ticks
  ADD CONSTRAINT checklist_ticks_rollout_id_phase_index_fkey FOREIGN KEY (rollout_id, phase_index)
  REFERENCES rollout_phases(rollout_id, index) ON DELETE CASCADE;
ALTER TABLE approvals
  ADD CONSTRAINT approvals_rollout_id_phase_index_fkey FOREIGN KEY (rollout_id, phase_index)
  REFERENCES rollout_phases(rollout_id, index) ON DELETE CASCADE;
ALTER TABLE rollout_phases DROP COLUMN not_before, DROP COLUMN allowlist;
ALTER TABLE rollouts
  DROP COLUMN overrides, DROP COLUMN ended_at, DROP COLUMN ended_reason, DROP COLUMN plan_changed_at,
  DROP COLUMN last_edited_by, DROP COLUMN state_before, DROP COLUMN auto_advance, DROP COLUMN impact;
