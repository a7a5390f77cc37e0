-- migrate:up

-- How many times each hour's split minutes were written (`changes`: every minute row a statement
-- inserted, updated or deleted there adds one), so a reader that keeps an hour's minute rows can tell
-- they are still what is stored by comparing one number per hour: the guardrail worker's look at a
-- split (lib/metrics/split-rows-cache.ts) reloads only the hours written since its last look,
-- where it read every minute since the rollout began, every 5 seconds. A count that only grows
-- catches any write, even one that leaves an hour's sums as they were.
ALTER TABLE metric_split_hours ADD COLUMN changes bigint NOT NULL DEFAULT 0;
UPDATE metric_split_hours h SET changes = c.n
  FROM (SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute) AS hour, count(*) AS n
          FROM metric_rollups WHERE reason = 'SPLIT' GROUP BY 1, 2, 3, 4, 5) c
 WHERE h.source = 'insert' AND h.flag_id = c.flag_id AND h.environment_key = c.environment_key
   AND h.phase = c.phase AND h.variant = c.variant AND h.hour = c.hour;

CREATE OR REPLACE FUNCTION rollgate_split_hours_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO metric_split_hours AS h (flag_id, environment_key, phase, variant, hour, source, requests, error_subjects, changes)
    SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute), 'insert',
           sum(greatest(0, requests)), sum(greatest(0, least(greatest(0, requests), error_subjects))), count(*)
      FROM rollgate_split_new WHERE reason = 'SPLIT'
     GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 5, 4
    ON CONFLICT (flag_id, environment_key, phase, hour, variant, source) DO UPDATE
      SET requests = h.requests + excluded.requests, error_subjects = h.error_subjects + excluded.error_subjects,
          changes = h.changes + excluded.changes;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO metric_split_hours AS h (flag_id, environment_key, phase, variant, hour, source, requests, error_subjects, changes)
    SELECT flag_id, environment_key, phase, variant, hour, 'update', sum(requests), sum(error_subjects), sum(changes)
      FROM (SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute) AS hour,
                   greatest(0, requests) AS requests, greatest(0, least(greatest(0, requests), error_subjects)) AS error_subjects,
                   1 AS changes
              FROM rollgate_split_new WHERE reason = 'SPLIT'
            UNION ALL
            SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute),
                   -greatest(0, requests), -greatest(0, least(greatest(0, requests), error_subjects)), 0
              FROM rollgate_split_old WHERE reason = 'SPLIT') d
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 1, 2, 3, 5, 4
    ON CONFLICT (flag_id, environment_key, phase, hour, variant, source) DO UPDATE
      SET requests = h.requests + excluded.requests, error_subjects = h.error_subjects + excluded.error_subjects,
          changes = h.changes + excluded.changes;
  ELSE
    INSERT INTO metric_split_hours AS h (flag_id, environment_key, phase, variant, hour, source, requests, error_subjects, changes)
    SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute), 'update',
           -sum(greatest(0, requests)), -sum(greatest(0, least(greatest(0, requests), error_subjects))), count(*)
      FROM rollgate_split_old WHERE reason = 'SPLIT'
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 1, 2, 3, 5, 4
    ON CONFLICT (flag_id, environment_key, phase, hour, variant, source) DO UPDATE
      SET requests = h.requests + excluded.requests, error_subjects = h.error_subjects + excluded.error_subjects,
          changes = h.changes + excluded.changes;
  END IF;
  RETURN NULL;
END $$;

SELECT rollgate_lock_down();

-- migrate:down

CREATE OR REPLACE FUNCTION rollgate_split_hours_changed() RETURNS trigger
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


ALTER TABLE metric_split_hours DROP COLUMN changes;
