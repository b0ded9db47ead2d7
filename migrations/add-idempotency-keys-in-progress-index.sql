-- The in-flight index of nestjs-idempotency (1796256200000-AddIdempotencyKeysInProgressIndex.ts),
-- built without blocking writes. Run it outside a transaction (psql -f does).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idempotency_keys_in_progress_idx
  ON idempotency_keys (created_at) WHERE status = 'in_progress';
