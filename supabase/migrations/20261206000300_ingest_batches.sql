-- migrate:up

-- Event batches already counted, per SDK token, by the id the SDK gave the batch (`batchId`). An SDK
-- whose answer was lost (a timeout, a dropped connection after the commit) sends the same batch again:
-- without this its events were counted twice, raising the volume a gate or guardrail reads. The claim
-- is inserted by the ingest statement itself (lib/metrics/ingest-events.ts), so a batch is counted
-- with its claim or not at all; the retention job forgets ids after a day (an SDK retries within
-- seconds or minutes, its backoff is at most 30 s).
CREATE TABLE ingest_batches (
  token_id     uuid NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
  batch_id     text NOT NULL CHECK (batch_id ~ '^[A-Za-z0-9_-]{16,64}$'),
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (token_id, batch_id)
);
CREATE INDEX ingest_batches_received_at ON ingest_batches (received_at);

SELECT rollgate_lock_down();

-- migrate:down

DROP TABLE ingest_batches;
