-- migrate:up

-- A plan may require the flag's results in the environment before this one (issue 24, the seeds'
-- production checklist: "staging completed, ≥ 24 h at 100 %, no incident"): {"hoursAtFull": 24}.
-- Null: no such requirement. Checked by the gate `earlier environment` on every step.
ALTER TABLE rollouts ADD COLUMN require_earlier jsonb
  CHECK (require_earlier IS NULL OR (jsonb_typeof(require_earlier -> 'hoursAtFull') = 'number'));

-- migrate:down

ALTER TABLE rollouts DROP COLUMN require_earlier;
