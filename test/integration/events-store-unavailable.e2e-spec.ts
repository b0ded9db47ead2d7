// The events of a store that cannot be reached. Kept apart from events.e2e-spec.ts: it cuts
// PostgreSQL off, which the pooler runs leave out (see jest.config.js).
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { EventLog, keyHashOf } from '../support/event-log.js';
import { gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { expectProblem } from '../support/problem.js';
import { KEYS_POOL_NAME, unavailableModule } from '../fixtures/unavailable/unavailable.module.js';

// The keys live on a database of their own, made unreachable by refusing new connections and
// terminating the app's pooled ones, then allowed again.
describe('events: the store unreachable (PostgreSQL)', () => {
  const log = new EventLog();
  let appDb: TestDatabase;
  let keysDb: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    [appDb, keysDb] = await Promise.all([
      createTestDatabase({ migrate: false }),
      createTestDatabase(),
    ]);
    app = await createTestApp(
      unavailableModule(appDb.url, keysDb.url, { lockTimeout: 1, onEvent: log.onEvent }),
    );
  });
  afterAll(async () => {
    gates.releaseAll();
    await reopenKeysDatabase();
    await app?.close();
    await Promise.all([appDb?.drop(), keysDb?.drop()]);
  });

  async function cutKeysDatabase(): Promise<void> {
    await appDb.query(`ALTER DATABASE ${keysDb.name} ALLOW_CONNECTIONS false`);
    await appDb.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
      [keysDb.name, KEYS_POOL_NAME],
    );
    for (;;) {
      const { rows } = await appDb.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
        [keysDb.name, KEYS_POOL_NAME],
      );
      if (rows[0].n === 0) return;
    }
  }

  async function reopenKeysDatabase(): Promise<void> {
    await appDb?.query(`ALTER DATABASE ${keysDb.name} ALLOW_CONNECTIONS true`);
  }

  const post = (key: string) => app.http().post('/orders').set('Idempotency-Key', key).send({});

  it('reports a refused request as store_unavailable at "claim"', async () => {
    const key = newKey();
    await cutKeysDatabase();
    try {
      expectProblem(await post(key), 503, 'idempotency_store_unavailable');
    } finally {
      await reopenKeysDatabase();
    }
    expect(log.of(key)).toEqual([
      {
        outcome: 'store_unavailable',
        stage: 'claim',
        scope: 'POST /orders',
        route: 'POST /orders',
        tenant: undefined,
        keyHash: keyHashOf(key),
        mode: 'default',
        durationMs: expect.any(Number),
      },
    ]);
  });

  it('reports a running handler whose lease cannot be renewed as renewal_failed, then its completion as store_unavailable at "settle"', async () => {
    const key = newKey();
    const gate = gates.create('events-outage');
    const first = post(key)
      .set('X-Gate', 'events-outage')
      .then((r) => r);
    await gate.entered;
    await cutKeysDatabase();
    try {
      await log.next(key, 'renewal_failed');
      gate.release();
      expect((await first).status).toBe(201); // the answer still goes out
    } finally {
      await reopenKeysDatabase();
    }
    expect(log.outcomesOf(key)).toEqual(['claimed', 'renewal_failed', 'store_unavailable']);
    expect(log.of(key)[1]).toMatchObject({ reason: 'store_unavailable' });
    expect(log.of(key)[2]).toMatchObject({ stage: 'settle' });
  });
});
