-- migrate:up

-- Each flag's SPLIT traffic per environment, phase, variant and hour: what the promotion gate sums over a
-- rollout's whole phase (lib/rollouts/promotion-evidence.ts). Summing the minute rollups instead read
-- 20,160 wide rows for a phase that had soaked a week; 50 such rollouts made the overview and
-- GET /api/v1/rollouts take two seconds. Statement triggers keep it: every writer of metric_rollups
-- (ingest, the demo, a purge's adjustments, retention's deletes, late events into past hours) moves
-- each hour by exactly what it changed there, as the difference of what the statement left and found.
-- `error_subjects` holds each minute's erroring subjects capped at its requests, as the gate counts them.
--
-- Each hour has up to two rows, one per `source`: what inserted minute rows brought ('insert') and what
-- updates and deletes changed ('update'); an hour's totals are their sum. An upsert fires its UPDATE
-- statement trigger and then its INSERT one, so with one row per hour a batch could lock hour A in the
-- first and want hour B in the second while another batch held B from its first and wanted A: a
-- deadlock. Every writer takes its 'update' rows before its 'insert' rows, each set in key order.
CREATE TABLE metric_split_hours (
  flag_id          uuid NOT NULL REFERENCES flags(id) ON DELETE CASCADE,
  environment_key  text NOT NULL REFERENCES environments(key),
  phase            integer NOT NULL,
  variant          text NOT NULL,
  hour             timestamptz NOT NULL CHECK (date_trunc('hour', hour) = hour),
  source           text NOT NULL CHECK (source IN ('insert', 'update')),
  requests         bigint NOT NULL DEFAULT 0,
  error_subjects   bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (flag_id, environment_key, phase, hour, variant, source)
);

INSERT INTO metric_split_hours (flag_id, environment_key, phase, variant, hour, source, requests, error_subjects)
SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute), 'insert',
       sum(greatest(0, requests)), sum(greatest(0, least(greatest(0, requests), error_subjects)))
  FROM metric_rollups
 WHERE reason = 'SPLIT'
 GROUP BY 1, 2, 3, 4, 5;

-- One function for the three events, each reading the transition tables it has (a branch not taken is
-- never planned): per hour, what the statement left there less what it found.
CREATE FUNCTION rollgate_split_hours_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO metric_split_hours AS h (flag_id, environment_key, phase, variant, hour, source, requests, error_subjects)
    SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute), 'insert',
           sum(greatest(0, requests)), sum(greatest(0, least(greatest(0, requests), error_subjects)))
      FROM rollgate_split_new WHERE reason = 'SPLIT'
     GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 5, 4
    ON CONFLICT (flag_id, environment_key, phase, hour, variant, source) DO UPDATE
      SET requests = h.requests + excluded.requests, error_subjects = h.error_subjects + excluded.error_subjects;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO metric_split_hours AS h (flag_id, environment_key, phase, variant, hour, source, requests, error_subjects)
    SELECT flag_id, environment_key, phase, variant, hour, 'update', sum(requests), sum(error_subjects)
      FROM (SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute) AS hour,
                   greatest(0, requests) AS requests, greatest(0, least(greatest(0, requests), error_subjects)) AS error_subjects
              FROM rollgate_split_new WHERE reason = 'SPLIT'
            UNION ALL
            SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute),
                   -greatest(0, requests), -greatest(0, least(greatest(0, requests), error_subjects))
              FROM rollgate_split_old WHERE reason = 'SPLIT') d
     GROUP BY 1, 2, 3, 4, 5
    HAVING sum(requests) <> 0 OR sum(error_subjects) <> 0
     ORDER BY 1, 2, 3, 5, 4
    ON CONFLICT (flag_id, environment_key, phase, hour, variant, source) DO UPDATE
      SET requests = h.requests + excluded.requests, error_subjects = h.error_subjects + excluded.error_subjects;
  ELSE
    INSERT INTO metric_split_hours AS h (flag_id, environment_key, phase, variant, hour, source, requests, error_subjects)
    SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute), 'update',
           -sum(greatest(0, requests)), -sum(greatest(0, least(greatest(0, requests), error_subjects)))
      FROM rollgate_split_old WHERE reason = 'SPLIT'
     GROUP BY 1, 2, 3, 4, 5
    HAVING sum(greatest(0, requests)) <> 0 OR sum(greatest(0, least(greatest(0, requests), error_subjects))) <> 0
     ORDER BY 1, 2, 3, 5, 4
    ON CONFLICT (flag_id, environment_key, phase, hour, variant, source) DO UPDATE
      SET requests = h.requests + excluded.requests, error_subjects = h.error_subjects + excluded.error_subjects;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER metric_rollups_split_hours_insert AFTER INSERT ON metric_rollups
  REFERENCING NEW TABLE AS rollgate_split_new FOR EACH STATEMENT EXECUTE FUNCTION rollgate_split_hours_changed();
CREATE TRIGGER metric_rollups_split_hours_update AFTER UPDATE ON metric_rollups
  REFERENCING OLD TABLE AS rollgate_split_old NEW TABLE AS rollgate_split_new
  FOR EACH STATEMENT EXECUTE FUNCTION rollgate_split_hours_changed();
CREATE TRIGGER metric_rollups_split_hours_delete AFTER DELETE ON metric_rollups
  REFERENCING OLD TABLE AS rollgate_split_old FOR EACH STATEMENT EXECUTE FUNCTION rollgate_split_hours_changed();

SELECT rollgate_lock_down();

-- migrate:down

DROP TRIGGER metric_rollups_split_hours_delete ON metric_rollups;
DROP TRIGGER metric_rollups_split_hours_update ON metric_rollups;
DROP TRIGGER metric_rollups_split_hours_insert ON metric_rollups;
DROP FUNCTION rollgate_split_hours_changed();
DROP TABLE metric_split_hours;
