-- migrate:up

-- Roles are a closed set; a person may hold several.
CREATE FUNCTION rollgate_valid_roles(roles text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT roles <@ ARRAY['viewer','engineer','product_owner','oncall','admin']::text[]
$$;

CREATE TABLE environments (
  key         text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9-]{0,39}$'),
  name        text NOT NULL,
  sort_order  integer NOT NULL DEFAULT 100,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email          text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  password_hash  text,
  roles          text[] NOT NULL DEFAULT ARRAY['viewer']::text[] CHECK (rollgate_valid_roles(roles)),
  is_service     boolean NOT NULL DEFAULT false,
  disabled_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Only a hash of the session secret is stored: a leaked table cannot be replayed.
CREATE TABLE sessions (
  token_hash    text PRIMARY KEY,
  user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  user_agent    text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  kind            text NOT NULL CHECK (kind IN ('user','sdk')),
  user_id         uuid REFERENCES users(id) ON DELETE CASCADE,
  environment_key text REFERENCES environments(key) ON DELETE CASCADE,
  token_hash      text NOT NULL UNIQUE,
  token_prefix    text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz,
  revoked_at      timestamptz,
  CHECK ((kind = 'user' AND user_id IS NOT NULL AND environment_key IS NULL)
      OR (kind = 'sdk' AND environment_key IS NOT NULL AND user_id IS NULL))
);

CREATE TABLE flags (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key         text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
  description text NOT NULL DEFAULT '',
  owner_id    uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz
);

CREATE TABLE flag_states (
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key) ON DELETE CASCADE,
  enabled          boolean NOT NULL DEFAULT false,
  rollout_percent  integer NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),
  allowlist        text[] NOT NULL DEFAULT ARRAY[]::text[],
  killed           boolean NOT NULL DEFAULT false,
  version          integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  updated_by       uuid REFERENCES users(id) ON DELETE SET NULL,
  PRIMARY KEY (flag_id, environment_key)
);
CREATE INDEX flag_states_env_idx ON flag_states (environment_key);

-- Every flag has a state in every environment, whichever side is created first.
CREATE FUNCTION rollgate_flag_states_for_new_flag() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO flag_states (flag_id, environment_key)
  SELECT NEW.id, e.key FROM environments e
  ON CONFLICT DO NOTHING;
  RETURN NEW;
END $$;
CREATE TRIGGER flags_create_states AFTER INSERT ON flags
  FOR EACH ROW EXECUTE FUNCTION rollgate_flag_states_for_new_flag();

CREATE FUNCTION rollgate_flag_states_for_new_environment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO flag_states (flag_id, environment_key)
  SELECT f.id, NEW.key FROM flags f
  ON CONFLICT DO NOTHING;
  RETURN NEW;
END $$;
CREATE TRIGGER environments_create_states AFTER INSERT ON environments
  FOR EACH ROW EXECUTE FUNCTION rollgate_flag_states_for_new_environment();

INSERT INTO environments (key, name, sort_order) VALUES
  ('staging', 'Staging', 10),
  ('production', 'Production', 20);

CREATE TABLE rollouts (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  flag_id           uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key   text NOT NULL REFERENCES environments(key),
  status            text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft','active','paused','rolled_back','completed')),
  current_phase     integer NOT NULL DEFAULT -1 CHECK (current_phase >= -1),
  phase_started_at  timestamptz,
  plan_version      integer NOT NULL DEFAULT 1,
  version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  requested_by      uuid NOT NULL REFERENCES users(id),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- At most one live rollout per flag and environment.
CREATE UNIQUE INDEX rollouts_one_live_idx ON rollouts (flag_id, environment_key)
  WHERE status IN ('draft','active','paused');

CREATE TABLE rollout_phases (
  rollout_id          uuid NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
  index               integer NOT NULL CHECK (index >= 0),
  name                text NOT NULL,
  percent             integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
  min_soak_seconds    integer NOT NULL DEFAULT 0 CHECK (min_soak_seconds >= 0),
  criteria            jsonb NOT NULL DEFAULT '{}'::jsonb,
  required_approvals  integer NOT NULL DEFAULT 0 CHECK (required_approvals >= 0),
  checklist           text[] NOT NULL DEFAULT ARRAY[]::text[],
  PRIMARY KEY (rollout_id, index)
);

CREATE TABLE approvals (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  rollout_id        uuid NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
  phase_index       integer NOT NULL,
  plan_version      integer NOT NULL,
  signer_id         uuid NOT NULL REFERENCES users(id),
  decision          text NOT NULL CHECK (decision IN ('approved','conditional','rejected')),
  risk_level        text NOT NULL CHECK (risk_level IN ('low','medium','high')),
  impact            text NOT NULL DEFAULT '',
  reviewed          text[] NOT NULL DEFAULT ARRAY[]::text[],
  conditions        text,
  reason            text,
  signature         text NOT NULL,
  metrics_snapshot  jsonb NOT NULL DEFAULT '{}'::jsonb,
  signed_at         timestamptz NOT NULL DEFAULT now(),
  superseded_by     uuid REFERENCES approvals(id),
  FOREIGN KEY (rollout_id, phase_index) REFERENCES rollout_phases(rollout_id, index) ON DELETE CASCADE
);
CREATE UNIQUE INDEX approvals_one_live_per_signer_idx
  ON approvals (rollout_id, phase_index, signer_id) WHERE superseded_by IS NULL;

CREATE TABLE checklist_ticks (
  rollout_id   uuid NOT NULL,
  phase_index  integer NOT NULL,
  item         text NOT NULL,
  ticked_by    uuid NOT NULL REFERENCES users(id),
  ticked_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollout_id, phase_index, item),
  FOREIGN KEY (rollout_id, phase_index) REFERENCES rollout_phases(rollout_id, index) ON DELETE CASCADE
);

CREATE TABLE incidents (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key),
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open','acknowledged','resolved')),
  title            text NOT NULL,
  opened_by        uuid REFERENCES users(id),
  opened_at        timestamptz NOT NULL DEFAULT now(),
  acknowledged_by  uuid REFERENCES users(id),
  acknowledged_at  timestamptz,
  resolved_at      timestamptz,
  metrics_snapshot jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX incidents_open_idx ON incidents (flag_id, environment_key) WHERE status <> 'resolved';

CREATE TABLE incident_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id  uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  at           timestamptz NOT NULL DEFAULT now(),
  actor_id     uuid REFERENCES users(id),
  kind         text NOT NULL,
  message      text NOT NULL
);

-- Raw evaluation outcomes reported by services; the per-minute rollups are what charts read.
CREATE TABLE events (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key),
  variant          text NOT NULL CHECK (variant IN ('on','off')),
  outcome          text NOT NULL CHECK (outcome IN ('success','error')),
  latency_ms       double precision NOT NULL CHECK (latency_ms >= 0),
  error_code       text,
  targeting_key    text,
  occurred_at      timestamptz NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_flag_time_idx ON events (flag_id, environment_key, occurred_at);

CREATE TABLE metric_rollups (
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key),
  variant          text NOT NULL CHECK (variant IN ('on','off')),
  minute           timestamptz NOT NULL CHECK (date_trunc('minute', minute) = minute),
  phase            integer NOT NULL DEFAULT -1,
  requests         bigint NOT NULL DEFAULT 0,
  errors           bigint NOT NULL DEFAULT 0,
  errors_by_code   jsonb NOT NULL DEFAULT '{}'::jsonb,
  latency_sum_ms   double precision NOT NULL DEFAULT 0,
  -- counts per fixed global latency bucket edge (5 … 10000 ms, +inf): 20 slots
  latency_buckets  bigint[] NOT NULL DEFAULT array_fill(0::bigint, ARRAY[20]),
  PRIMARY KEY (flag_id, environment_key, variant, minute, phase)
);

-- Append-only, hash-chained audit log.
CREATE TABLE audit_log (
  id           bigint PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor_id     uuid,
  actor        text NOT NULL,
  action       text NOT NULL,
  target_type  text NOT NULL,
  target_id    text NOT NULL,
  before       jsonb,
  after        jsonb,
  reason       text,
  prev_hash    text NOT NULL,
  hash         text NOT NULL UNIQUE
);
CREATE SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id DESC);

CREATE FUNCTION rollgate_audit_hash(
  prev_hash text, id bigint, at timestamptz, actor_id uuid, actor text, action text,
  target_type text, target_id text, before jsonb, after jsonb, reason text
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(
    jsonb_build_array(prev_hash, id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                      actor_id, actor, action, target_type, target_id, before, after, reason)::text,
    'UTF8')), 'hex')
$$;

-- The chain is linear: an advisory lock serialises writers, and ids are drawn only after it is held,
-- so id order equals chain order even when transactions race.
CREATE FUNCTION rollgate_audit_chain() RETURNS trigger
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
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION rollgate_audit_chain();

CREATE FUNCTION rollgate_audit_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION rollgate_audit_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION rollgate_audit_immutable();

-- migrate:down

DROP TABLE audit_log;
DROP SEQUENCE IF EXISTS audit_log_id_seq;
DROP TABLE metric_rollups;
DROP TABLE events;
DROP TABLE incident_events;
DROP TABLE incidents;
DROP TABLE checklist_ticks;
DROP TABLE approvals;
DROP TABLE rollout_phases;
DROP TABLE rollouts;
DROP TABLE flag_states;
DROP TABLE flags;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE environments;
DROP FUNCTION rollgate_audit_immutable();
DROP FUNCTION rollgate_audit_chain();
DROP FUNCTION rollgate_audit_hash(text, bigint, timestamptz, uuid, text, text, text, text, jsonb, jsonb, text);
DROP FUNCTION rollgate_flag_states_for_new_environment();
DROP FUNCTION rollgate_flag_states_for_new_flag();
DROP FUNCTION rollgate_valid_roles(text[]);
