-- migrate:up

-- When each phase of a rollout started (issue 24): the approval form's "test results from staging"
-- show how long an earlier environment's rollout held each percentage, and a production plan may
-- require "≥ 24 h at 100 % in staging". The rollout's own phase_started_at only keeps the current one.
ALTER TABLE rollout_phases ADD COLUMN started_at timestamptz;

-- Phases started before this column existed: the first advance into them, from the audit log
-- (target_id is '<flag>/<environment>/<rollout id>').
UPDATE rollout_phases p SET started_at = a.at
FROM (
  SELECT right(target_id, 36)::uuid AS rollout_id, (after->>'currentPhase')::int AS phase, min(at) AS at
  FROM audit_log
  WHERE action = 'rollout.advance' AND after ? 'currentPhase' AND target_id ~ '/[0-9a-f-]{36}$'
  GROUP BY 1, 2
) a
WHERE p.rollout_id = a.rollout_id AND p.index = a.phase;

-- migrate:down

ALTER TABLE rollout_phases DROP COLUMN started_at;
