-- migrate:up

-- The head of the audit chain, kept outside audit_log: its newest id and hash and how many entries
-- there are. Deleting entries from the tail of the log (with its triggers disabled) leaves a chain
-- that still verifies on its own; it no longer matches this row, nor the copies of it that the app
-- exports to its data dir (`npm run audit:verify` checks both, see lib/audit/anchor.ts). A superuser
-- can rewrite this row too, which is what the exported copies are for.
-- `anchor_id` names this log in the exported files' names. `gapless_from`: ids used to come from a
-- sequence, which skips a number whenever a transaction that wrote an entry rolls back; from this id
-- on, each id is the previous one + 1, so any gap means entries were removed.
CREATE TABLE audit_anchor (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  anchor_id    uuid NOT NULL DEFAULT gen_random_uuid(),
  last_id      bigint NOT NULL,
  last_hash    text NOT NULL,
  entries      bigint NOT NULL,
  gapless_from bigint NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_anchor (last_id, last_hash, entries, gapless_from)
  SELECT coalesce(max(id), 0),
         coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), repeat('0', 64)),
         count(*),
         coalesce(max(id), 0) + 1
  FROM audit_log;

-- Same chain as before (advisory lock, hash over the previous hash and the content), but the head
-- comes from audit_anchor and moves with every entry in the same statement. SECURITY DEFINER: the
-- app's role may append entries but never write audit_anchor itself.
CREATE OR REPLACE FUNCTION rollgate_audit_chain() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
  head audit_anchor%ROWTYPE;
BEGIN
  PERFORM pg_advisory_xact_lock(7346010001);
  SELECT * INTO head FROM audit_anchor WHERE singleton;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit_anchor is missing: the audit log cannot be appended to (run npm run audit:verify)'
      USING ERRCODE = 'data_corrupted';
  END IF;
  NEW.id := head.last_id + 1;
  NEW.at := clock_timestamp();
  NEW.prev_hash := head.last_hash;
  NEW.hash := rollgate_audit_hash(NEW.prev_hash, NEW.id, NEW.at, NEW.actor_id, NEW.actor, NEW.action,
                                  NEW.target_type, NEW.target_id, NEW.before, NEW.after, NEW.reason);
  UPDATE audit_anchor SET last_id = NEW.id, last_hash = NEW.hash, entries = entries + 1, updated_at = NEW.at
    WHERE singleton;
  RETURN NEW;
END $$;

SELECT rollgate_lock_down();

-- migrate:down

-- Back to the sequence; it continues after the newest id.
CREATE OR REPLACE FUNCTION rollgate_audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(7346010001);
  SELECT a.hash INTO last_hash FROM audit_log a ORDER BY a.id DESC LIMIT 1;
  NEW.id := nextval('audit_log_id_seq');
  NEW.at := clock_timestamp();
  NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
  NEW.hash := rollgate_audit_hash(NEW.prev_hash, NEW.id, NEW.at, NEW.actor_id, NEW.actor, NEW.action,
                                  NEW.target_type, NEW.target_id, NEW.before, NEW.after, NEW.reason);
  RETURN NEW;
END $$;
SELECT setval('audit_log_id_seq', greatest((SELECT max(id) FROM audit_log), 1), (SELECT max(id) FROM audit_log) IS NOT NULL);
DROP TABLE audit_anchor;
