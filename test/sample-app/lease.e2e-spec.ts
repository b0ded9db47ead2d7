// "Same key while the first is still running (however long it runs): 409"; "a claim whose
// process died is free again ... once it is older than the lock timeout". The sample app runs
// here with its transactional mode off (SAMPLE_TRANSACTIONAL=0), so its claims are committed and
// leased, and with a 2 s lock timeout, so that a handler of 6 s outlives three of them.
import { newKey } from '../support/keys.js';
import { expectSampleAppProblem } from '../support/problem.js';
import { retryWhileInUse } from '../support/retry-while-in-use.js';
import {
  killAllSampleApps,
  startSampleApp,
  type SampleApp,
} from '../support/sample-app-process.js';
import { balanceOf } from '../support/sample-app-state.js';
import { newToken } from '../support/tenants.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { waitForClaim } from '../support/wait-for-claim.js';

const LOCK_TIMEOUT_SECONDS = 2;
const db = useTestDatabase({ migrate: false, beforeDrop: killAllSampleApps });
let apps: SampleApp[];

beforeAll(async () => {
  const env = {
    SAMPLE_FAULTS: '1',
    SAMPLE_TRANSACTIONAL: '0',
    IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: String(LOCK_TIMEOUT_SECONDS),
  };
  const first = await startSampleApp({ databaseUrl: db.url, env });
  const second = await startSampleApp({ databaseUrl: db.url, env });
  apps = [first, second];
});

/** Seconds since `since`, on PostgreSQL's clock. */
async function secondsSince(since: Date): Promise<number> {
  const { rows } = await db.query(
    'SELECT extract(epoch FROM clock_timestamp() - $1::timestamptz)::float8 AS s',
    [since],
  );
  return rows[0].s;
}

async function databaseNow(): Promise<Date> {
  const { rows } = await db.query('SELECT clock_timestamp() AS now');
  return rows[0].now;
}

describe('A handler slower than the lock timeout, on one process, retried through another', () => {
  it('keeps its key: retries get 409 in_use, it runs once, its client gets its own answer', async () => {
    const [a, b] = apps;
    const token = newToken();
    const key = newKey();
    const body = { user_id: 'u1', delta: 10, reason: 'slow' };
    const first = a.request('POST', '/economy/adjust', {
      token,
      key,
      body,
      headers: { 'X-Simulate': `slow:${3 * LOCK_TIMEOUT_SECONDS * 1000}` },
    });
    await waitForClaim(db, key);
    const start = await databaseNow();
    let retries = 0;
    while ((await secondsSince(start)) < 2 * LOCK_TIMEOUT_SECONDS) {
      const retry = await b.request('POST', '/economy/adjust', { token, key, body });
      expectSampleAppProblem(retry, 409, 'idempotency_key_in_use');
      expect(Number(retry.headers['retry-after'])).toBeGreaterThan(0);
      retries++;
      await db.query('SELECT pg_sleep(0.25)');
    }
    expect(retries).toBeGreaterThanOrEqual(4);
    const own = await first;
    expect(own.status).toBe(201);
    expect(own.json.balance).toBe(10);
    const replay = await b.request('POST', '/economy/adjust', { token, key, body });
    expect(replay.text).toBe(own.text);
    expect(await balanceOf(b, token, 'u1')).toBe(10);
  });

  it('frees the key of a process killed mid-handler within the lock timeout', async () => {
    const [a, b] = apps;
    const token = newToken();
    const key = newKey();
    const body = { user_id: 'u2', delta: 5, reason: 'dies' };
    void a
      .request('POST', '/economy/adjust', {
        token,
        key,
        body,
        headers: { 'X-Simulate': 'slow:60000' },
      })
      .catch(() => undefined);
    await waitForClaim(db, key);
    await a.kill('SIGKILL');
    const killedAt = await databaseNow();

    const { response } = await retryWhileInUse(
      () => b.request('POST', '/economy/adjust', { token, key, body }),
      { pauseMs: 100 },
    );
    const waited = await secondsSince(killedAt);
    expect(response.status).toBe(201);
    expect(response.headers['idempotent-replay']).toBeUndefined();
    // The last renewal was at most a third of the lock timeout before the kill.
    expect(waited).toBeLessThanOrEqual(LOCK_TIMEOUT_SECONDS + 1);
    expect(await balanceOf(b, token, 'u2')).toBe(5);
  });
});
