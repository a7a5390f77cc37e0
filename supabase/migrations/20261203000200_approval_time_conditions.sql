-- migrate:up

-- A conditional approval's conditions that are a time (issue 24), held by the gate rather than
-- trusted to whoever advances: not before an instant, and only during office hours (Monday to
-- Friday, 09:00–17:00) in the signer's time zone. The conditions' text stays in `conditions`.
ALTER TABLE approvals
  ADD COLUMN not_before timestamptz,
  ADD COLUMN office_hours_time_zone text CHECK (office_hours_time_zone IS NULL OR length(office_hours_time_zone) BETWEEN 1 AND 64);

-- migrate:down

ALTER TABLE approvals DROP COLUMN office_hours_time_zone, DROP COLUMN not_before;
