import pg from 'pg';
import { DataSource } from 'typeorm';
import { PostgresIdempotencyStore, type ClaimRequest } from '../../lib/index.js';
import { newKey } from '../support/keys.js';
import { useTestDatabase } from '../support/use-test-database.js';

// A take-over must only ever take a row that is still stale when its UPDATE runs. The races are
// made deterministic with a row lock: a third connection holds the stale row FOR UPDATE, the
// claims under test read it as stale and queue their take-over behind that lock, and what the
// holder does before it lets go decides what the queued UPDATEs find.
describe('a take-over racing another writer of the same stale key', () => {
  let dataSource: DataSource;
  let store: PostgresIdempotencyStore;
  let holder: pg.Client;
  const db = useTestDatabase({
    beforeDrop: async () => {
      await holder?.end();
      await dataSource?.destroy();
    },
  });

  beforeAll(async () => {
    dataSource = await new DataSource({ type: 'postgres', url: db.url, poolSize: 4 }).initialize();
    store = new PostgresIdempotencyStore(dataSource);
    holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
  });

  const request = (key: string, fingerprint = 'fp-retry'): ClaimRequest => ({
    scope: 'take-over',
    key,
    fingerprint,
    ttlSeconds: 60,
    lockTimeoutSeconds: 30,
  });

  /** An in-flight claim whose lock ran out a minute ago: a dead owner's. */
  async function staleClaim(key: string): Promise<void> {
    await db.query(
      `INSERT INTO idempotency_keys (scope, key, status, fingerprint, lock_token, locked_until, expires_at)
       VALUES ('take-over', $1, 'in_progress', 'fp-dead', gen_random_uuid(), now() - interval '1 minute', now() + interval '1 hour')`,
      [key],
    );
  }

  /** Waits until `count` other backends wait for a lock on this database. */
  async function waiters(count: number): Promise<void> {
    for (;;) {
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows[0].n >= count) return;
      await db.query('SELECT pg_sleep(0.01)');
    }
  }

  it('of two retries that both saw the key stale, exactly one takes it over', async () => {
    const key = newKey();
    await staleClaim(key);
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM idempotency_keys WHERE key = $1 FOR UPDATE`, [key]);
    const racing = [store.claim(request(key)), store.claim(request(key))];
    await waiters(2);
    await holder.query('COMMIT');

    const outcomes = await Promise.all(racing);
    expect(outcomes.map(({ state }) => state).sort()).toEqual(['claimed', 'in_progress']);
    const { rows } = await db.query(
      'SELECT status, fingerprint FROM idempotency_keys WHERE key = $1',
      [key],
    );
    expect(rows).toEqual([{ status: 'in_progress', fingerprint: 'fp-retry' }]);
  });

  it('a retry that saw the key stale leaves it alone once its owner completed it meanwhile', async () => {
    const key = newKey();
    await staleClaim(key);
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM idempotency_keys WHERE key = $1 FOR UPDATE`, [key]);
    const retry = store.claim(request(key, 'fp-dead'));
    await waiters(1);
    // The owner was slow, not dead: it completes before the retry's take-over runs.
    await holder.query(
      `UPDATE idempotency_keys SET status = 'completed', response_status = 201,
              response_headers = '{}', response_body = 'done' WHERE key = $1`,
      [key],
    );
    await holder.query('COMMIT');

    const outcome = await retry;
    expect(outcome.state).toBe('completed');
    const { rows } = await db.query(
      `SELECT status, convert_from(response_body, 'UTF8') AS body FROM idempotency_keys WHERE key = $1`,
      [key],
    );
    expect(rows).toEqual([{ status: 'completed', body: 'done' }]);
  });
});
