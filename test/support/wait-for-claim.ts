import { IDEMPOTENCY_TABLE } from '../../lib/index.js';
import { delay } from './delay.js';
import type { TestDatabase } from './postgres.js';

// A committed claim (default mode) is a row; a claim in the handler's open transaction
// (transactional mode) is invisible until it commits, and shows as the transaction-level
// advisory lock its request holds. The lock names no key: callers have one request in flight.
const IN_FLIGHT_SQL = `
SELECT 1 FROM ${IDEMPOTENCY_TABLE} WHERE position($1 in key) > 0 AND status = 'in_progress'
UNION ALL
SELECT 1 FROM pg_locks
 WHERE locktype = 'advisory' AND granted
   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

/**
 * Waits until a request with `key` holds an in-flight claim in the app's database: the event
 * that says "the first request is running now", so a second one can be sent during it.
 */
export async function waitForClaim(
  db: TestDatabase,
  key: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // position(): the app may store a derived key (a webhook's event id with a prefix, say).
    const { rows } = await db.query(IN_FLIGHT_SQL, [key]);
    if (rows.length > 0) return;
    await delay(20);
  }
  throw new Error(`no in-flight claim for key ${key} after ${timeoutMs} ms`);
}
