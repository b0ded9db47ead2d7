-- The idempotency_keys table of nestjs-idempotency (same DDL as 1796256000000-CreateIdempotencyKeys.ts).
CREATE TABLE idempotency_keys (
  scope            text        NOT NULL,
  key              text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('in_progress', 'completed')),
  fingerprint      text        NOT NULL,
  lock_token       uuid        NOT NULL,
  response_status  smallint,
  response_headers jsonb,
  response_body    bytea,
  created_at       timestamptz NOT NULL DEFAULT now(),
  locked_until     timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
