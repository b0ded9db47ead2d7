import '../support/cjs-interop.js';
import type { ClsService } from 'nestjs-cls';
import { IdempotencyException, IdempotencyService } from '../../lib/index.js';
import { calls } from '../support/calls.js';
import { Gate, gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';
import type { LedgerService } from '../fixtures/ledger/ledger.service.js';

// nestjs-cls is loaded only after cjs-interop has run (see there).
const { ClsService: ClsServiceClass } = await import('nestjs-cls');
const { CREATE_LEDGER_SQL, LedgerService: LedgerServiceClass } =
  await import('../fixtures/ledger/ledger.service.js');
const { ledgerModule } = await import('../fixtures/ledger/ledger.module.js');

describe('the transactional mode', () => {
  const { db, apps } = useTestApps(async (database) => {
    await database.query(CREATE_LEDGER_SQL);
    return ledgerModule(database.url);
  });
  const [app] = apps;

  async function ledgerRows(ref: string): Promise<number> {
    const { rows } = await db.query('SELECT count(*)::int AS n FROM ledger WHERE ref = $1', [ref]);
    return rows[0].n;
  }

  async function keyRow(key: string) {
    const { rows } = await db.query(
      'SELECT status, response_status FROM idempotency_keys WHERE key = $1',
      [key],
    );
    return rows[0];
  }

  function credit(key: string, ref: string) {
    return app.http().post('/ledger/credit').set('Idempotency-Key', key).send({ ref, amount: 10 });
  }

  describe('over HTTP, @Idempotent({ transactional: true })', () => {
    it("commits the handler's row and the key's completion together", async () => {
      const [key, ref] = [newKey(), newKey()];
      const gate = gates.create('tx-commit');
      const first = credit(key, ref)
        .set('X-Gate', 'tx-commit')
        .then((r) => r);
      await gate.entered;
      // The handler has written its row inside the open transaction: nothing is visible yet.
      expect(await ledgerRows(ref)).toBe(0);
      expect(await keyRow(key)).toEqual({ status: 'in_progress', response_status: null });
      gate.release();
      const response = await first;
      expect(response.status).toBe(201);
      expect(await ledgerRows(ref)).toBe(1);
      expect(await keyRow(key)).toEqual({ status: 'completed', response_status: 201 });

      const replay = await credit(key, ref);
      expect(replay.headers['idempotent-replay']).toBe('true');
      expect(replay.text).toBe(response.text);
      expect(await ledgerRows(ref)).toBe(1);
      expect(calls.of('credit')).toBe(1);
    });

    it('leaves no row when the handler throws a 4xx, and replays the stored 4xx', async () => {
      const [key, ref] = [newKey(), newKey()];
      const first = await credit(key, ref).set('X-Fail', 'client');
      expect(first.status).toBe(400);
      expect(await ledgerRows(ref)).toBe(0);
      const replay = await credit(key, ref);
      expect(replay.status).toBe(400);
      expect(replay.headers['idempotent-replay']).toBe('true');
      expect(replay.text).toBe(first.text);
      expect(await ledgerRows(ref)).toBe(0);
      expect(calls.of('credit')).toBe(1);
    });

    it('leaves no row when the handler throws a 5xx, and lets the retry apply it once', async () => {
      const [key, ref] = [newKey(), newKey()];
      const first = await credit(key, ref).set('X-Fail', 'server');
      expect(first.status).toBe(500);
      expect(await ledgerRows(ref)).toBe(0);
      expect(await keyRow(key)).toBeUndefined();
      const retry = await credit(key, ref);
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replay']).toBeUndefined();
      expect(await ledgerRows(ref)).toBe(1);
      expect(calls.of('credit')).toBe(2);
    });

    it("rolls the handler's writes back when its claim is taken over mid-handler", async () => {
      const [key, ref] = [newKey(), newKey()];
      const gate = gates.create('tx-takeover');
      const first = credit(key, ref)
        .set('X-Gate', 'tx-takeover')
        .then((r) => r);
      await gate.entered;
      // Another request takes the claim over (as after lockTimeout): the row gets a new token.
      const { rows } = await db.query(
        'UPDATE idempotency_keys SET lock_token = gen_random_uuid() WHERE key = $1 RETURNING lock_token',
        [key],
      );
      const newToken = rows[0].lock_token;
      gate.release();
      const response = await first;
      expectProblem(response, 409, 'idempotency_key_in_use');
      expect(await ledgerRows(ref)).toBe(0);
      // The new owner's claim is untouched.
      const after = await db.query(
        'SELECT status, lock_token FROM idempotency_keys WHERE key = $1',
        [key],
      );
      expect(after.rows).toEqual([{ status: 'in_progress', lock_token: newToken }]);
      expect(calls.of('credit')).toBe(1);
    });
  });

  describe('IdempotencyService.run(..., { transactional: true })', () => {
    let service: IdempotencyService;
    let cls: ClsService;
    let ledger: LedgerService;

    beforeAll(() => {
      service = app.app.get(IdempotencyService);
      cls = app.app.get(ClsServiceClass);
      ledger = app.app.get(LedgerServiceClass);
    });

    function run(key: string, ref: string, before?: () => Promise<void>) {
      return cls.run(() =>
        service.run(
          'ledger.job',
          key,
          async () => {
            calls.count('job');
            await ledger.credit(ref, 5);
            await before?.();
            return { ref };
          },
          { transactional: true },
        ),
      );
    }

    it("commits fn's writes with the key, once", async () => {
      const [key, ref] = [newKey(), newKey()];
      expect(await run(key, ref)).toEqual({ ref });
      expect(await run(key, ref)).toEqual({ ref });
      expect(await ledgerRows(ref)).toBe(1);
      expect(await keyRow(key)).toEqual({ status: 'completed', response_status: 200 });
      expect(calls.of('job')).toBe(1);
    });

    it("rolls fn's writes back when it throws, and releases the key", async () => {
      const [key, ref] = [newKey(), newKey()];
      await expect(
        run(key, ref, async () => {
          throw new Error('job failed');
        }),
      ).rejects.toThrow('job failed');
      expect(await ledgerRows(ref)).toBe(0);
      expect(await keyRow(key)).toBeUndefined();
      await run(key, ref);
      expect(await ledgerRows(ref)).toBe(1);
      expect(calls.of('job')).toBe(2);
    });

    it("rolls fn's writes back when the claim was taken over meanwhile", async () => {
      const [key, ref] = [newKey(), newKey()];
      const gate = new Gate();
      const first = run(key, ref, () => gate.pass());
      await gate.entered;
      await db.query('UPDATE idempotency_keys SET lock_token = gen_random_uuid() WHERE key = $1', [
        key,
      ]);
      gate.release();
      const error = await first.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(IdempotencyException);
      expect((error as IdempotencyException).code).toBe('idempotency_key_in_use');
      expect(await ledgerRows(ref)).toBe(0);
      expect(calls.of('job')).toBe(1);
    });
  });
});
