-- migrate:up

-- Failed sign-ins are counted per email, for every email typed, whether or not an account has it:
-- kept on `users`, an unknown email would never lock and so would tell an attacker it is unknown.
-- Keyed by the SHA-256 of the normalised email so typos and guesses are not stored in clear, and no
-- user row is ever created for them. Rows without a failure for a day are pruned by the app.
CREATE TABLE sign_in_attempts (
  email_hash   text PRIMARY KEY CHECK (email_hash ~ '^[0-9a-f]{64}$'),
  failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  locked_until timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_attempts_updated_idx ON sign_in_attempts (updated_at);

INSERT INTO sign_in_attempts (email_hash, failures, locked_until)
  SELECT encode(sha256(convert_to(email, 'UTF8')), 'hex'), failed_sign_ins, locked_until
  FROM users WHERE failed_sign_ins > 0 OR locked_until IS NOT NULL;

ALTER TABLE users DROP COLUMN locked_until, DROP COLUMN failed_sign_ins;

SELECT rollgate_lock_down();

-- migrate:down

ALTER TABLE users
  ADD COLUMN failed_sign_ins integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
  ADD COLUMN locked_until timestamptz;
UPDATE users u SET failed_sign_ins = a.failures, locked_until = a.locked_until
  FROM sign_in_attempts a WHERE a.email_hash = encode(sha256(convert_to(u.email, 'UTF8')), 'hex');
DROP TABLE sign_in_attempts;
