-- migrate:up

-- Who was seen, per environment and UTC day, so an audience can be sized before it is served
-- ("Staff: ≈ 120 of ≈ 9,800 users seen last week", issue 25). Each day keeps a bottom-k sample of
-- the distinct users the SDKs and OFREP evaluated: the 4,096 whose hash (lib/domain/audience-sample.ts,
-- computed by the server from the user id) is smallest, with the context they were evaluated with.
-- Samples of several days merge into the sample of the week; the retention job drops days older than
-- eight. This table holds user ids and context attributes: it is as private as the audit log.
CREATE TABLE audience_samples (
  environment_key  text NOT NULL REFERENCES environments(key) ON DELETE CASCADE,
  day              date NOT NULL,
  user_id          text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 200),
  subject_hash     bigint NOT NULL CHECK (subject_hash BETWEEN 0 AND 4294967295),
  context          jsonb NOT NULL,
  PRIMARY KEY (environment_key, day, user_id)
);
CREATE INDEX audience_samples_by_hash ON audience_samples (environment_key, day, subject_hash);

SELECT rollgate_lock_down();

-- migrate:down

DROP TABLE audience_samples;
