-- migrate:up

-- The communication plan (issue 24): which of the environment's webhooks hear about this rollout's
-- steps. By default (and for every rollout before these columns) every enabled webhook of the
-- environment does; otherwise only those listed, possibly none. Two columns rather than a nullable
-- array, because Prisma cannot tell a NULL list from an empty one, and "nobody" must stay distinct
-- from "everyone". An array cannot carry a foreign key: the plan edit checks the ids when they are
-- set, and a webhook deleted since simply receives nothing (the outbox only joins webhooks that
-- exist). Kill switch and guardrail notices ignore the plan and reach every enabled webhook.
ALTER TABLE rollouts
  ADD COLUMN notify_all_webhooks boolean NOT NULL DEFAULT true,
  ADD COLUMN notify_webhook_ids uuid[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(notify_webhook_ids) <= 50),
  ADD CONSTRAINT rollouts_notify_plan_check CHECK (NOT notify_all_webhooks OR cardinality(notify_webhook_ids) = 0);

-- migrate:down

ALTER TABLE rollouts DROP CONSTRAINT rollouts_notify_plan_check, DROP COLUMN notify_webhook_ids, DROP COLUMN notify_all_webhooks;
