-- migrate:up

-- The guardrails' look at a multivariate flag's variants (issue 25): each variant against the control
-- variant, one always-valid e-process per variant (lib/domain/variant-comparison.ts), kept between
-- looks like split_evidence keeps the on/off ones: the running maximum and the sticky alarm per
-- variant (`tracks`), the last verdicts, and what was done about each alarm (`acted`, claimed with a
-- conditional update so one look acts once). A new control, or the flag turned off or killed, starts
-- the evidence afresh.
CREATE TABLE variant_evidence (
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key) ON DELETE CASCADE,
  control          text NOT NULL,
  since            timestamptz NOT NULL,
  tracks           jsonb NOT NULL DEFAULT '{}'::jsonb,
  verdicts         jsonb NOT NULL DEFAULT '{}'::jsonb,
  acted            jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flag_id, environment_key)
);

SELECT rollgate_lock_down();

-- migrate:down

DROP TABLE variant_evidence;
