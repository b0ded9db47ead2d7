import { IDEMPOTENCY_TABLE } from '../../lib/index.js';
import { delay } from './delay.js';
import type { TestDatabase } from './postgres.js';

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
    const { rows } = await db.query(
      // position(): the app may store a derived key (a webhook's event id with a prefix, say).
      `SELECT 1 FROM ${IDEMPOTENCY_TABLE} WHERE position($1 in key) > 0 AND status = 'in_progress'`,
      [key],
    );
    if (rows.length > 0) return;
    await delay(20);
  }
  throw new Error(`no in-flight claim for key ${key} after ${timeoutMs} ms`);
}
