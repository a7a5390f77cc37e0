-- migrate:up

-- What Unleash SDKs report serving per variant (`POST /api/client/metrics`: a toggle's `variants`
-- counts), beside the outcomes Rollgate's SDK reports per variant name. Unleash reports no outcome,
-- so its rows have no requests: the comparisons and the variant guardrail read only rows with
-- requests (lib/metrics/variant-minutes.ts), and the Variants section lists these as what was served.
ALTER TABLE metric_variant_rollups ADD COLUMN evaluations bigint NOT NULL DEFAULT 0 CHECK (evaluations >= 0);

-- migrate:down

ALTER TABLE metric_variant_rollups DROP COLUMN evaluations;
