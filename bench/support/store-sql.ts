// Copies of the library's SQL (lib/store/postgres-idempotency.store.ts) for the raw-`pg` floor
// and the experiments. The floor must send exactly what the library sends, so the store bench
// checks at start-up that these texts still match the statements the library's store sends.

const STALE = `((status = 'completed' AND expires_at <= now())
            OR (status = 'in_progress' AND locked_until <= now()))`;

/** Inserts the claim or returns the row already there, in one round trip. */
export const CLAIM_SQL = `
WITH inserted AS (
  INSERT INTO idempotency_keys (scope, key, status, fingerprint, lock_token, locked_until, expires_at)
  VALUES ($1, $2, 'in_progress', $3, $4, now() + make_interval(secs => $5), now() + make_interval(secs => $6))
  ON CONFLICT (scope, key) DO NOTHING
  RETURNING 1
)
SELECT 'claimed' AS state, NULL AS fingerprint, NULL::int AS response_status,
       NULL::jsonb AS response_headers, NULL::bytea AS response_body, false AS has_body
  FROM inserted
UNION ALL
SELECT CASE WHEN ${STALE} THEN 'stale' ELSE status END, fingerprint, response_status,
       response_headers, CASE WHEN status = 'completed' THEN response_body END, response_body IS NOT NULL
  FROM idempotency_keys
 WHERE scope = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM inserted)`;

/** Stores the response and marks the key completed, fenced by the claim's token. */
export const COMPLETE_SQL = `
UPDATE idempotency_keys
   SET status = 'completed', response_status = $4, response_headers = $5, response_body = $6
 WHERE scope = $1 AND key = $2 AND lock_token = $3`;

/** The handler's own work in every HTTP route and store shape: one row. */
export const INSERT_ROW_SQL = 'INSERT INTO bench_rows (name) VALUES ($1) RETURNING id';

/** The table the handler writes to. */
export const CREATE_BENCH_ROWS_SQL =
  'CREATE TABLE IF NOT EXISTS bench_rows (id serial PRIMARY KEY, name text NOT NULL)';
