-- migrate:up

-- Open dashboard streams (/api/v1/live) hold a credential checked when they opened. Tell every
-- instance when one may have ended, so each stream of that user checks again and closes if its
-- session or token no longer resolves: a session deleted (sign-out, a password change ending other
-- sessions, a user disabled), a user token revoked or deleted, a user disabled or re-roled. Sent at
-- commit; the payload names the user only. SDK tokens already announce themselves on
-- rollgate_tokens (20261122000200_config_notify).
CREATE FUNCTION rollgate_notify_credentials() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
  owner uuid;
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    owner := NEW.id;
  ELSE
    owner := OLD.user_id;
  END IF;
  IF owner IS NOT NULL THEN
    PERFORM pg_notify('rollgate_credentials', json_build_object('userId', owner)::text);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER sessions_notify_credentials AFTER DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION rollgate_notify_credentials();
CREATE TRIGGER api_tokens_notify_credentials AFTER UPDATE OF revoked_at, token_hash OR DELETE ON api_tokens
  FOR EACH ROW WHEN (OLD.user_id IS NOT NULL) EXECUTE FUNCTION rollgate_notify_credentials();
CREATE TRIGGER users_notify_credentials AFTER UPDATE OF disabled_at, roles ON users
  FOR EACH ROW WHEN (OLD.disabled_at IS DISTINCT FROM NEW.disabled_at OR OLD.roles IS DISTINCT FROM NEW.roles)
  EXECUTE FUNCTION rollgate_notify_credentials();

SELECT rollgate_lock_down();

-- migrate:down

DROP TRIGGER users_notify_credentials ON users;
DROP TRIGGER api_tokens_notify_credentials ON api_tokens;
DROP TRIGGER sessions_notify_credentials ON sessions;
DROP FUNCTION rollgate_notify_credentials();
