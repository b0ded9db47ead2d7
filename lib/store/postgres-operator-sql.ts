import { IDEMPOTENCY_TABLE } from './idempotency-table.constants.js';

// The PostgreSQL store's operator statements: inspect, evict, stats and the health check. None
// is on the request path; each reads through an index (see the plan test in
// test/integration/operator-tools.e2e-spec.ts).

/** How many keys `stats()` counts before it reports PostgreSQL's estimate instead. */
export const EXACT_COUNT_LIMIT = 10_000;

/** One key by its primary key; the body only when `$3` is true. */
export const INSPECT_SQL = `
SELECT status, fingerprint, created_at, locked_until, expires_at,
       extract(epoch FROM now() - created_at)::float8 AS age_seconds,
       CASE WHEN status = 'completed' THEN expires_at <= now() ELSE locked_until <= now() END AS stale,
       response_status, response_headers, octet_length(response_body) AS body_bytes,
       CASE WHEN $3::boolean THEN response_body END AS response_body
  FROM ${IDEMPOTENCY_TABLE}
 WHERE scope = $1 AND key = $2`;

// The check and the DELETE in one statement: a live claim is never deleted unless forced, and
// the row that was there says why nothing was.
export const EVICT_SQL = `
WITH target AS (
  SELECT status, status = 'in_progress' AND locked_until > now() AS live
    FROM ${IDEMPOTENCY_TABLE}
   WHERE scope = $1 AND key = $2
), deleted AS (
  DELETE FROM ${IDEMPOTENCY_TABLE}
   WHERE scope = $1 AND key = $2
     AND ($3::boolean OR NOT (status = 'in_progress' AND locked_until > now()))
  RETURNING status
)
SELECT (SELECT status FROM deleted) AS deleted_status, target.live
  FROM target`;

// Every part reads an index, so the cost follows the keys in flight and the purge's backlog,
// not the table: claims through the partial index on in-flight rows, expired keys through an
// index-only scan of expires_at (less the live claims past their TTL, which the purge keeps),
// and the total from the statistics once the table is large (the exact count is then never
// executed).
export const STATS_SQL = `
WITH claims AS (
  SELECT count(*) AS in_progress,
         count(*) FILTER (WHERE locked_until <= now()) AS stale,
         extract(epoch FROM now() - min(created_at) FILTER (WHERE locked_until > now()))::float8
           AS oldest_claim_seconds,
         count(*) FILTER (WHERE expires_at <= now() AND locked_until > now()) AS live_expired
    FROM ${IDEMPOTENCY_TABLE}
   WHERE status = 'in_progress'
), estimate AS (
  SELECT pg_stat_get_live_tuples(to_regclass('${IDEMPOTENCY_TABLE}')) AS total
)
SELECT claims.in_progress, claims.stale, claims.oldest_claim_seconds,
       (SELECT count(*) FROM ${IDEMPOTENCY_TABLE} WHERE expires_at <= now()) - claims.live_expired
         AS expired,
       CASE WHEN estimate.total < ${EXACT_COUNT_LIMIT}
            THEN (SELECT count(*) FROM ${IDEMPOTENCY_TABLE}) ELSE estimate.total END AS total,
       estimate.total >= ${EXACT_COUNT_LIMIT} AS estimated
  FROM claims, estimate`;

/** Whether the table exists (in the connection's search path). */
export const TABLE_PRESENT_SQL = `SELECT to_regclass('${IDEMPOTENCY_TABLE}') IS NOT NULL AS present`;
