-- migrate:up

-- A flag's own settings (description, owner, tags, raw-event sampling) get a version, as its
-- per-environment states have: a settings form opened before someone else saved is refused with the
-- current values (409) instead of writing back what it showed over theirs (lib/flags/update-flag.ts).
-- Not named plain `version`: statements that join flags with flag_states, rollouts or segments read
-- their `version` unqualified.
ALTER TABLE flags ADD COLUMN settings_version integer NOT NULL DEFAULT 1 CHECK (settings_version >= 1);

-- migrate:down

ALTER TABLE flags DROP COLUMN settings_version;
