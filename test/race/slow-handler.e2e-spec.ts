import '../support/cjs-interop.js';
import { PostgresIdempotencyStore, type Claim } from '../../lib/index.js';
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

/** A PostgreSQL store whose renewals cannot reach the database. */
class UnreachableRenewalStore extends PostgresIdempotencyStore {
  override async renew(_claim: Claim, _lockTimeoutSeconds: number): Promise<boolean> {
    throw new Error('connection terminated unexpectedly');
  }
}

// lockTimeout is 1 s; a handler is held at its gate until its claim is 3 s old on PostgreSQL's
// clock, while the test retries. The heartbeat (every third of lockTimeout) keeps the claim.
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

  async function claimAge(key: string): Promise<number> {
    const { rows } = await db.query(
      'SELECT extract(epoch FROM now() - created_at)::float8 AS age FROM idempotency_keys WHERE key = $1',
      [key],
    );
    return rows[0].age;
  }

  /** Retries every 250 ms until the first claim is 3 × lockTimeout old; returns the answers. */
  async function retryWhileRunning(
    key: string,
    retry: () => Promise<import('supertest').Response>,
  ) {
    const answers = [];
    while ((await claimAge(key)) < 3 * LOCK_TIMEOUT) {
      answers.push(await retry());
      await db.query('SELECT pg_sleep(0.25)');
    }
    return answers;
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

      const answers = await retryWhileRunning(key, () => post(key));
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
    let unreachable: TestApp;
    beforeAll(async () => {
      app = await createTestApp(ledgerModule(db.url, { lockTimeout: LOCK_TIMEOUT }));
      unreachable = await createTestApp(
        ledgerModule(
          db.url,
          { lockTimeout: LOCK_TIMEOUT },
          (dataSource) => new UnreachableRenewalStore(dataSource),
        ),
      );
    });
    afterAll(async () => {
      await app?.close();
      await unreachable?.close();
    });

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

      const answers = await retryWhileRunning(key, () => credit(app, key, ref));
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

    it('a renewal that cannot reach the store rolls the handler back: 503, nothing written, the retry runs', async () => {
      const [key, ref] = [newKey(), newKey()];
      const held = gates.create('renewal-fails');
      const first = credit(unreachable, key, ref, 'renewal-fails');
      await held.entered;
      // Past the first heartbeat (a third of lockTimeout), on PostgreSQL's clock.
      while ((await claimAge(key)) < LOCK_TIMEOUT / 2) await db.query('SELECT pg_sleep(0.1)');
      held.release();

      expectProblem(await first, 503, 'idempotency_store_unavailable');
      expect(await ledgerRows(ref)).toBe(0);
      const retry = await credit(app, key, ref);
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replay']).toBeUndefined();
      expect(await ledgerRows(ref)).toBe(1);
      expect(calls.of('credit')).toBe(2);
    });
  });
});
