-- migrate:up

-- Consecutive failed sign-ins per account; after a few, the account is locked for a growing while.
ALTER TABLE users
  ADD COLUMN failed_sign_ins integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
  ADD COLUMN locked_until timestamptz;

-- migrate:down

ALTER TABLE users DROP COLUMN locked_until, DROP COLUMN failed_sign_ins;
