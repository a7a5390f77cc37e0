-- migrate:up

-- The flag catalog at 10,000 flags (issue 26): who owns a flag and how it is tagged, an indexed
-- substring search over key and description, and when each flag was last evaluated per environment.

-- Owner: a team or person as free text (Unleash's project, say); owner_id stays the creating user.
-- Tags: lowercase slugs, at most 20 (the API validates the same with a field message).
ALTER TABLE flags
  ADD COLUMN owner text CHECK (owner IS NULL OR char_length(owner) BETWEEN 1 AND 100),
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(tags) <= 20 AND array_to_string(tags, ',') ~ '^([a-z0-9][a-z0-9-]{0,39}(,|$))*$');
CREATE INDEX flags_owner_idx ON flags (lower(owner)) WHERE archived_at IS NULL;
CREATE INDEX flags_tags_idx ON flags USING gin (tags) WHERE archived_at IS NULL;

-- Case-insensitive substring search (`q`) needs trigrams. pg_trgm is trusted (any database owner may
-- create it) and ships with PostgreSQL and Supabase; Supabase keeps extensions in the `extensions`
-- schema, and an existing install elsewhere is used where it is, so the operator class is looked up.
-- Key and description are joined by a newline, which a search text cannot contain, so no match spans both.
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions;
DO $$
DECLARE
  s text;
BEGIN
  SELECT n.nspname INTO s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  EXECUTE format(
    'CREATE INDEX flags_search_trgm ON flags USING gin ((lower(key || E''\n'' || description)) %I.gin_trgm_ops) WHERE archived_at IS NULL',
    s);
END $$;

-- When each flag was last evaluated in each environment: the newest rollup minute, kept beside
-- metric_rollups by statement triggers so a list of 10,000 flags (and its stale filter) reads one small
-- row per flag and environment instead of the newest of every variant's rollups. Every rollup row
-- counts: requests with an outcome and adoption-only evaluations (Unleash yes/no) alike.
CREATE TABLE flag_last_evaluated (
  flag_id         uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key text NOT NULL REFERENCES environments(key) ON DELETE CASCADE,
  last_minute     timestamptz NOT NULL,
  PRIMARY KEY (flag_id, environment_key)
);
CREATE INDEX flag_last_evaluated_minute_idx ON flag_last_evaluated (last_minute);

INSERT INTO flag_last_evaluated (flag_id, environment_key, last_minute)
SELECT r.flag_id, r.environment_key, max(r.minute)
  FROM metric_rollups r
  JOIN flags f ON f.id = r.flag_id
  JOIN environments e ON e.key = r.environment_key
 GROUP BY r.flag_id, r.environment_key;

-- Only rows whose minute advances are written (the common flush, within a minute already noted,
-- touches and locks nothing here); sorted, so two flushes covering the same flags lock in one order.
-- Each ingest path writes metric_rollups in one statement per transaction, so a transaction takes
-- these locks once, after its rollup rows, and no cycle of waits can form between flushes.
CREATE FUNCTION rollgate_note_last_evaluated() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  INSERT INTO flag_last_evaluated AS l (flag_id, environment_key, last_minute)
  SELECT c.flag_id, c.environment_key, c.last_minute
    FROM (SELECT flag_id, environment_key, max(minute) AS last_minute FROM changed_rollups GROUP BY flag_id, environment_key) c
   WHERE NOT EXISTS (SELECT 1 FROM flag_last_evaluated e
                      WHERE e.flag_id = c.flag_id AND e.environment_key = c.environment_key AND e.last_minute >= c.last_minute)
   ORDER BY c.flag_id, c.environment_key
  ON CONFLICT (flag_id, environment_key) DO UPDATE SET last_minute = excluded.last_minute
   WHERE l.last_minute < excluded.last_minute;
  RETURN NULL;
END $$;
-- A trigger with a transition table names one event, hence two.
CREATE TRIGGER metric_rollups_last_evaluated_insert AFTER INSERT ON metric_rollups
  REFERENCING NEW TABLE AS changed_rollups FOR EACH STATEMENT EXECUTE FUNCTION rollgate_note_last_evaluated();
CREATE TRIGGER metric_rollups_last_evaluated_update AFTER UPDATE ON metric_rollups
  REFERENCING NEW TABLE AS changed_rollups FOR EACH STATEMENT EXECUTE FUNCTION rollgate_note_last_evaluated();

SELECT rollgate_lock_down();

-- migrate:down

DROP TRIGGER metric_rollups_last_evaluated_update ON metric_rollups;
DROP TRIGGER metric_rollups_last_evaluated_insert ON metric_rollups;
DROP FUNCTION rollgate_note_last_evaluated();
DROP TABLE flag_last_evaluated;
DROP INDEX flags_search_trgm;
DROP INDEX flags_tags_idx;
DROP INDEX flags_owner_idx;
ALTER TABLE flags DROP COLUMN tags, DROP COLUMN owner;
