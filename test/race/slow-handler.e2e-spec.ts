import '../support/cjs-interop.js';
import { calls } from '../support/calls.js';
import { createTestApp, type TestApp } from '../support/create-test-app.js';
import { gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { expectProblem } from '../support/problem.js';
import { raceModule } from '../fixtures/race/race.module.js';

// nestjs-cls is loaded only after cjs-interop has run (see there).
const { CREATE_LEDGER_SQL } = await import('../fixtures/ledger/ledger.service.js');
const { ledgerModule } = await import('../fixtures/ledger/ledger.module.js');

// lockTimeout is 1 s; a handler is held at its gate for 3 s on PostgreSQL's clock, while the
// test retries. In the default mode the heartbeat (every third of lockTimeout) keeps the claim;
// in the transactional mode the claim is uncommitted, and needs no lease.
describe('a handler that runs three times lockTimeout', () => {
  const LOCK_TIMEOUT = 1;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(CREATE_LEDGER_SQL);
  });
  afterAll(async () => {
    gates.releaseAll();
    await db?.drop();
  });
  beforeEach(() => calls.reset());

  /** PostgreSQL's clock, so that the waits below need no timer of the test's own. */
  async function databaseNow(): Promise<Date> {
    const { rows } = await db.query('SELECT clock_timestamp() AS now');
    return rows[0].now;
  }

  /** Retries every 250 ms until 3 × lockTimeout have passed since `since`; returns the answers. */
  async function retryWhileRunning(
    since: Date,
    retry: () => Promise<import('supertest').Response>,
  ) {
    const answers = [];
    for (;;) {
      const { rows } = await db.query(
        'SELECT extract(epoch FROM clock_timestamp() - $1::timestamptz)::float8 AS elapsed',
        [since],
      );
      if (rows[0].elapsed >= 3 * LOCK_TIMEOUT) return answers;
      answers.push(await retry());
      await db.query('SELECT pg_sleep(0.25)');
    }
  }

  describe('default mode', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await createTestApp(raceModule(db.url, 'slow', { lockTimeout: LOCK_TIMEOUT }));
    });
    afterAll(() => app?.close());

    const post = (key: string, gate?: string) => {
      const test = app.http().post('/race').set('Idempotency-Key', key);
      return (gate ? test.set('X-Gate', gate) : test).send({ amount: 10 }).then((r) => r);
    };

    it('retries get 409 in_use with Retry-After, it runs once, its client gets its own answer', async () => {
      const key = newKey();
      const held = gates.create('slow-default');
      const first = post(key, 'slow-default');
      await held.entered;

      const answers = await retryWhileRunning(await databaseNow(), () => post(key));
      expect(answers.length).toBeGreaterThanOrEqual(4);
      for (const answer of answers) {
        expectProblem(answer, 409, 'idempotency_key_in_use');
        expect(answer.headers['retry-after']).toBe('1');
      }
      const { rows } = await db.query(
        'SELECT status, locked_until > now() AS locked FROM idempotency_keys WHERE key = $1',
        [key],
      );
      expect(rows).toEqual([{ status: 'in_progress', locked: true }]);

      held.release();
      const own = await first;
      expect(own.status).toBe(201);
      expect(own.headers['idempotent-replay']).toBeUndefined();
      const replay = await post(key);
      expect(replay.headers['idempotent-replay']).toBe('true');
      expect(replay.text).toBe(own.text);
      expect(calls.of('race')).toBe(1);
    });
  });

  describe('transactional mode', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await createTestApp(ledgerModule(db.url, { lockTimeout: LOCK_TIMEOUT }));
    });
    afterAll(() => app?.close());

    const credit = (target: TestApp, key: string, ref: string, gate?: string) => {
      const test = target.http().post('/ledger/credit').set('Idempotency-Key', key);
      return (gate ? test.set('X-Gate', gate) : test).send({ ref, amount: 10 }).then((r) => r);
    };
    async function ledgerRows(ref: string): Promise<number> {
      const { rows } = await db.query('SELECT count(*)::int AS n FROM ledger WHERE ref = $1', [
        ref,
      ]);
      return rows[0].n;
    }

    it('retries get 409 in_use, it runs and writes once, its client gets its own answer', async () => {
      const [key, ref] = [newKey(), newKey()];
      const held = gates.create('slow-tx');
      const first = credit(app, key, ref, 'slow-tx');
      await held.entered;

      const answers = await retryWhileRunning(await databaseNow(), () => credit(app, key, ref));
      expect(answers.length).toBeGreaterThanOrEqual(4);
      for (const answer of answers) expectProblem(answer, 409, 'idempotency_key_in_use');

      held.release();
      const own = await first;
      expect(own.status).toBe(201);
      expect(await ledgerRows(ref)).toBe(1);
      const replay = await credit(app, key, ref);
      expect(replay.headers['idempotent-replay']).toBe('true');
      expect(replay.text).toBe(own.text);
      expect(calls.of('credit')).toBe(1);
    });
  });
});
