import '../support/cjs-interop.js';
import type { ClsService } from 'nestjs-cls';
import pg from 'pg';
import {
  IdempotencyException,
  IdempotencyOptionsError,
  IdempotencyService,
  type IdempotencyRunOptions,
} from '../../lib/index.js';
import { TEST_ADAPTER } from '../support/create-test-app.js';
import { calls } from '../support/calls.js';
import { Gate, gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';
import { CountingStore } from '../fixtures/ledger/counting.store.js';
import type { LedgerService } from '../fixtures/ledger/ledger.service.js';

// nestjs-cls is loaded only after cjs-interop has run (see there).
const { ClsService: ClsServiceClass } = await import('nestjs-cls');
const { CREATE_LEDGER_SQL, LedgerService: LedgerServiceClass } =
  await import('../fixtures/ledger/ledger.service.js');
const { ledgerModule } = await import('../fixtures/ledger/ledger.module.js');

// pg_locks shows the whole server's locks: other test files' requests run on it too.
const THIS_DATABASE = 'database = (SELECT oid FROM pg_database WHERE datname = current_database())';

/** A response's body as bytes: supertest leaves `text` unset for a binary type. */
function bytesOf(response: { body: unknown; text?: string }): Buffer {
  return Buffer.isBuffer(response.body) ? response.body : Buffer.from(response.text ?? '');
}

describe('the transactional mode', () => {
  let store: CountingStore;
  const { db, apps } = useTestApps(async (database) => {
    await database.query(CREATE_LEDGER_SQL);
    return ledgerModule(database.url, {}, (dataSource) => (store = new CountingStore(dataSource)));
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
      // The claim and the handler's row are in one open transaction: nothing is visible yet.
      expect(await ledgerRows(ref)).toBe(0);
      expect(await keyRow(key)).toBeUndefined();
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

    it.each([
      ['an object, as JSON', '/ledger/credit', 'credit'],
      ['a string', '/ledger/note', 'note'],
      ['an object with a vendor JSON Content-Type', '/ledger/receipt', 'receipt'],
      ['a string with a Content-Type with parameters', '/ledger/poem', 'poem'],
      ['a string with a Content-Type with parameters but no charset', '/ledger/flowed', 'flowed'],
      [
        'an object with a vendor JSON Content-Type with parameters',
        '/ledger/statement',
        'statement',
      ],
      [
        'an object with a JSON Content-Type that names its charset',
        '/ledger/utf8-json',
        'utf8-json',
      ],
      ['a Buffer', '/ledger/bytes', 'bytes'],
      ['null', '/ledger/nothing', 'nothing'],
      ['nothing, with a 204', '/ledger/ack', 'ack'],
      ['an object, with a 204 (sent without it)', '/ledger/acknowledged', 'acknowledged'],
      ['an object, with a 200', '/ledger/checked', 'checked'],
      [
        'an object with <, > and & in a string (not escaped by default)',
        '/ledger/markup',
        'markup',
      ],
      ['nothing, with a 201', '/ledger/created-nothing', 'created-nothing'],
    ])(
      'commits the answer to %s exactly as the adapter sends it, and replays it',
      async (_, path, counter) => {
        const key = newKey();
        const body = { ref: newKey(), amount: 10 };
        const send = () => app.http().post(path).set('Idempotency-Key', key).send(body);
        const first = await send();
        // A second completion would mean the committed answer differed from what went out.
        expect(store.completions.get(key)).toBe(1);
        const replay = await send();
        expect(replay.headers['idempotent-replay']).toBe('true');
        expect(replay.status).toBe(first.status);
        expect(replay.headers['content-type']).toBe(first.headers['content-type']);
        expect(bytesOf(replay)).toEqual(bytesOf(first));
        expect(calls.of(counter)).toBe(1);
      },
    );

    // Fastify drops a type's parameter without a value (`strict`), and quotes the others.
    (TEST_ADAPTER === 'fastify' ? it : it.skip)(
      'commits the answer to a JSON type with a parameter without a value as Fastify sends it',
      async () => {
        const key = newKey();
        const send = () => app.http().post('/ledger/flagged').set('Idempotency-Key', key).send({});
        const first = await send();
        expect(first.headers['content-type']).toBe(
          'application/vnd.acme.flagged+json; version="2"; charset=utf-8',
        );
        expect(store.completions.get(key)).toBe(1);
        const replay = await send();
        expect(replay.headers['idempotent-replay']).toBe('true');
        expect(replay.headers['content-type']).toBe(first.headers['content-type']);
        expect(calls.of('flagged')).toBe(1);
      },
    );

    it('commits a StreamableFile without a body, unknown until sent, then stores what was sent', async () => {
      const key = newKey();
      const send = () => app.http().post('/ledger/file').set('Idempotency-Key', key).send({});
      const first = await send();
      expect(first.status).toBe(201);
      // A replay between the commit and the second write answers response_unavailable, never a
      // guess at the file's bytes.
      expect(store.committed.get(key)).toMatchObject({ status: 201, body: null });
      expect(store.completions.get(key)).toBe(2);
      const replay = await send();
      expect(replay.headers['idempotent-replay']).toBe('true');
      expect(replay.headers['content-type']).toBe(first.headers['content-type']);
      expect(bytesOf(replay)).toEqual(bytesOf(first));
      expect(calls.of('file')).toBe(1);
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

    it('answers a duplicate of an in-flight request 409 in_use at once, and it runs once', async () => {
      const [key, ref] = [newKey(), newKey()];
      const gate = gates.create('tx-duplicate');
      const first = credit(key, ref)
        .set('X-Gate', 'tx-duplicate')
        .then((r) => r);
      await gate.entered;
      const duplicate = await credit(key, ref);
      expectProblem(duplicate, 409, 'idempotency_key_in_use');
      expect(duplicate.headers['retry-after']).toBe('1');
      gate.release();
      expect((await first).status).toBe(201);
      expect(await ledgerRows(ref)).toBe(1);
      expect(calls.of('credit')).toBe(1);
    });

    it('replays a completed key while another retry of it holds its lock, instead of 409', async () => {
      const [key, ref] = [newKey(), newKey()];
      const first = await credit(key, ref);
      expect(first.status).toBe(201);
      const { rows } = await db.query('SELECT scope FROM idempotency_keys WHERE key = $1', [key]);
      // What a concurrent retry's transaction holds while it reads the key.
      const other = new pg.Client({ connectionString: db.directUrl });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query(`SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(1) || $2, 0))`, [
          rows[0].scope,
          key,
        ]);
        const replay = await credit(key, ref);
        expect(replay.status).toBe(201);
        expect(replay.headers['idempotent-replay']).toBe('true');
        expect(replay.text).toBe(first.text);
        const reused = await app
          .http()
          .post('/ledger/credit')
          .set('Idempotency-Key', key)
          .send({ ref, amount: 11 });
        expectProblem(reused, 409, 'idempotency_key_reused');
      } finally {
        await other.end();
      }
      expect(calls.of('credit')).toBe(1);
    });

    it('frees the key at once when the connection of an in-flight request dies before COMMIT', async () => {
      const [key, ref] = [newKey(), newKey()];
      const gate = gates.create('tx-dies');
      const first = credit(key, ref)
        .set('X-Gate', 'tx-dies')
        .then((r) => r);
      await gate.entered;
      // The backend that holds the key's advisory lock is the request's transaction.
      const { rows } = await db.query(
        `SELECT pg_terminate_backend(pid) AS terminated FROM pg_locks
          WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(rows).toEqual([{ terminated: true }]);
      gate.release();
      expect((await first).status).toBeGreaterThanOrEqual(500);
      expect(await keyRow(key)).toBeUndefined();
      const retry = await credit(key, ref);
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replay']).toBeUndefined();
      expect(await ledgerRows(ref)).toBe(1);
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

    function run(
      key: string,
      ref: string,
      before?: () => Promise<void>,
      options: Omit<IdempotencyRunOptions, 'transactional'> = {},
    ) {
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
          { ...options, transactional: true },
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

    it('fails a concurrent call with the key with idempotency_key_in_use while the first runs', async () => {
      const [key, ref] = [newKey(), newKey()];
      const gate = new Gate();
      const first = run(key, ref, () => gate.pass());
      await gate.entered;
      const error = await run(key, ref).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(IdempotencyException);
      expect((error as IdempotencyException).code).toBe('idempotency_key_in_use');
      gate.release();
      expect(await first).toEqual({ ref });
      expect(await ledgerRows(ref)).toBe(1);
      expect(calls.of('job')).toBe(1);
    });

    it("takes run()'s waitForInFlight: false as no wait, and refuses one that is no duration", async () => {
      const [key, ref] = [newKey(), newKey()];
      expect(await run(key, ref, undefined, { waitForInFlight: false })).toEqual({ ref });
      await expect(run(newKey(), ref, undefined, { waitForInFlight: 'soon' })).rejects.toThrow(
        new IdempotencyOptionsError(
          'waitForInFlight',
          'seconds (> 0) or a duration such as "24h"',
          'soon',
        ),
      );
      expect(calls.of('job')).toBe(1);
    });

    it("leaves the handler's transaction its own lock_timeout after run()'s waitForInFlight wait", async () => {
      const [key, ref] = [newKey(), newKey()];
      const { TransactionHost } = await import('@nestjs-cls/transactional');
      const host = app.app.get<{ tx: { query(sql: string): Promise<unknown> } }>(TransactionHost);
      let seen: string | undefined;
      const before = async () => {
        const rows = (await host.tx.query('SHOW lock_timeout')) as Array<{ lock_timeout: string }>;
        seen = rows[0].lock_timeout;
      };
      await run(key, ref, before, { waitForInFlight: '10s' });
      // The wait sets its own for the transaction (10 s here), then puts the previous one back.
      expect(seen).toBe('0');
    });

    it("with run()'s waitForInFlight, a concurrent call waits for the first to commit, then gets its value", async () => {
      const [key, ref] = [newKey(), newKey()];
      const gate = new Gate();
      const first = run(key, ref, () => gate.pass());
      await gate.entered;
      let answered = false;
      const duplicate = run(key, ref, undefined, { waitForInFlight: '10s' }).finally(
        () => (answered = true),
      );
      // It now waits on PostgreSQL's lock, not on a timer (unless it was answered at once).
      const waiting = `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND ${THIS_DATABASE}`;
      while (!answered && (await db.query(waiting)).rows.length === 0) {
        await db.query('SELECT pg_sleep(0.02)');
      }
      gate.release();
      expect(await first).toEqual({ ref });
      expect(await duplicate).toEqual({ ref });
      expect(await ledgerRows(ref)).toBe(1);
      expect(calls.of('job')).toBe(1);
    });
  });
});

describe('the transactional mode with waitForInFlight', () => {
  const { db, apps } = useTestApps(
    async (database) => {
      await database.query(CREATE_LEDGER_SQL);
      return ledgerModule(database.url, { waitForInFlight: '10s' });
    },
    (database) => ledgerModule(database.url, { waitForInFlight: '300ms' }),
  );
  const [waiting, impatient] = apps;

  const credit = (app: (typeof apps)[number], key: string, ref: string) =>
    app.http().post('/ledger/credit').set('Idempotency-Key', key).send({ ref, amount: 10 });

  async function waitersOnTheKey(): Promise<number> {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND ${THIS_DATABASE}`,
    );
    return rows[0].n;
  }

  it('a duplicate waits for the first to commit, then gets its replay', async () => {
    const [key, ref] = [newKey(), newKey()];
    const gate = gates.create('tx-wait');
    const first = credit(waiting, key, ref)
      .set('X-Gate', 'tx-wait')
      .then((r) => r);
    await gate.entered;
    const duplicate = credit(waiting, key, ref).then((r) => r);
    // The duplicate now waits on PostgreSQL's lock, not on a timer.
    while ((await waitersOnTheKey()) === 0) await db.query('SELECT pg_sleep(0.02)');
    gate.release();
    const [own, replay] = await Promise.all([first, duplicate]);
    expect(own.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replay']).toBe('true');
    expect(replay.text).toBe(own.text);
    expect(calls.of('credit')).toBe(1);
  });

  it('past the wait, a duplicate gets 409 in_use with Retry-After', async () => {
    const [key, ref] = [newKey(), newKey()];
    const gate = gates.create('tx-wait-too-long');
    const first = credit(impatient, key, ref)
      .set('X-Gate', 'tx-wait-too-long')
      .then((r) => r);
    await gate.entered;
    const duplicate = await credit(impatient, key, ref);
    expectProblem(duplicate, 409, 'idempotency_key_in_use');
    expect(duplicate.headers['retry-after']).toBe('1');
    gate.release();
    expect((await first).status).toBe(201);
    expect(calls.of('credit')).toBe(1);
  });
});
