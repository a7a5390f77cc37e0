-- migrate:up

-- Flags keep the names teams already use elsewhere (Unleash names are case-sensitive and often carry
-- capitals, dots and '~': `Feature.A3`, `checkout.NewFlow`); still no spaces or slashes, so a key is
-- always one path segment. Every existing key stays valid.
ALTER TABLE flags DROP CONSTRAINT flags_key_check;
ALTER TABLE flags ADD CONSTRAINT flags_key_check CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$');

-- The prefix users are hashed with (bucket = murmur3("<group>:<user>") % 100 + 1). NULL means the
-- flag's key, so nothing changes for existing flags; a flag imported from Unleash keeps the groupId
-- its flexibleRollout used, so every user stays in the same bucket after the move.
ALTER TABLE flags ADD COLUMN bucket_group text
  CHECK (bucket_group IS NULL OR (length(bucket_group) BETWEEN 1 AND 200 AND bucket_group !~ '[[:cntrl:]]'));

SELECT rollgate_lock_down();

-- migrate:down

ALTER TABLE flags DROP COLUMN bucket_group;
ALTER TABLE flags DROP CONSTRAINT flags_key_check;
ALTER TABLE flags ADD CONSTRAINT flags_key_check CHECK (key ~ '^[a-z0-9][a-z0-9._-]{0,99}$');
