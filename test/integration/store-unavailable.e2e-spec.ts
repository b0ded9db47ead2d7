import { calls } from '../support/calls.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { newKey } from '../support/keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { expectProblem } from '../support/problem.js';
import { KEYS_POOL_NAME, unavailableModule } from '../fixtures/unavailable/unavailable.module.js';

// The keys live on a database of their own. It is made unreachable by refusing new connections
// and terminating the app's pooled ones, then allowed again; the app is never restarted.
describe('the idempotency store unreachable', () => {
  let appDb: TestDatabase;
  let keysDb: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    [appDb, keysDb] = await Promise.all([
      createTestDatabase({ migrate: false }),
      createTestDatabase(),
    ]);
    app = await createTestApp(unavailableModule(appDb.url, keysDb.url));
  });
  afterAll(async () => {
    await appDb?.query(`ALTER DATABASE ${keysDb.name} ALLOW_CONNECTIONS true`);
    await app?.close();
    await Promise.all([appDb?.drop(), keysDb?.drop()]);
  });
  beforeEach(() => calls.reset());

  async function cutKeysDatabase(): Promise<void> {
    await appDb.query(`ALTER DATABASE ${keysDb.name} ALLOW_CONNECTIONS false`);
    await appDb.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
      [keysDb.name, KEYS_POOL_NAME],
    );
    // Wait for the terminated backends to be gone (an event, not a time).
    for (;;) {
      const { rows } = await appDb.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
        [keysDb.name, KEYS_POOL_NAME],
      );
      if (rows[0].n === 0) return;
    }
  }

  it('answers 503 idempotency_store_unavailable without running the handler, and recovers by itself', async () => {
    const storedKey = newKey();
    const stored = await app
      .http()
      .post('/orders')
      .set('Idempotency-Key', storedKey)
      .send({ a: 1 });
    expect(stored.status).toBe(201);
    expect(calls.of('create')).toBe(1);

    await cutKeysDatabase();
    const key = newKey();
    const down = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
    expectProblem(down, 503, 'idempotency_store_unavailable');
    expect(down.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    const downAgain = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
    expectProblem(downAgain, 503, 'idempotency_store_unavailable');
    const replayWhileDown = await app
      .http()
      .post('/orders')
      .set('Idempotency-Key', storedKey)
      .send({ a: 1 });
    expectProblem(replayWhileDown, 503, 'idempotency_store_unavailable');
    expect(calls.of('create')).toBe(1);

    await appDb.query(`ALTER DATABASE ${keysDb.name} ALLOW_CONNECTIONS true`);
    const up = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
    expect(up.status).toBe(201);
    expect(up.headers['idempotent-replay']).toBeUndefined();
    expect(calls.of('create')).toBe(2);
    const replay = await app.http().post('/orders').set('Idempotency-Key', key).send({ a: 1 });
    expect(replay.headers['idempotent-replay']).toBe('true');
    expect(replay.text).toBe(up.text);
    const oldReplay = await app
      .http()
      .post('/orders')
      .set('Idempotency-Key', storedKey)
      .send({ a: 1 });
    expect(oldReplay.text).toBe(stored.text);
    expect(calls.of('create')).toBe(2);
  });

  it('keeps its keys on the named DataSource given by the dataSource option', async () => {
    const key = newKey();
    await app.http().post('/orders').set('Idempotency-Key', key).send({});
    const { rows } = await keysDb.query(
      'SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1',
      [key],
    );
    expect(rows[0].n).toBe(1);
    const { rows: tables } = await appDb.query("SELECT to_regclass('idempotency_keys') AS t");
    expect(tables[0].t).toBeNull();
  });
});
