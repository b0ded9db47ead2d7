import '../support/cjs-interop.js';
import type { ClsService } from 'nestjs-cls';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IdempotencyException,
  IdempotencyService,
  type Claim,
  type ClaimOutcome,
  type ClaimRequest,
  type StoredResponse,
} from '../../lib/index.js';
import { calls } from '../support/calls.js';
import { TEST_ADAPTER } from '../support/create-test-app.js';
import { delay } from '../support/delay.js';
import { EventLog } from '../support/event-log.js';
import { gates } from '../support/gate.js';
import { newKey } from '../support/keys.js';
import { captureLogs } from '../support/log-capture.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';
import { CountingStore } from '../fixtures/ledger/counting.store.js';
import type { LedgerService } from '../fixtures/ledger/ledger.service.js';

// The ledger fixture is loaded only after cjs-interop has run (see there).
const { ClsService: ClsServiceClass } = await import('nestjs-cls');
const { CREATE_LEDGER_SQL, LedgerService: LedgerServiceClass } =
  await import('../fixtures/ledger/ledger.service.js');
const { ledgerModule } = await import('../fixtures/ledger/ledger.module.js');

/**
 * The PostgreSQL store, counting renewals and completions per key, with two faults to switch
 * on: the next claim outside a transaction fails (as when the database went away), the next
 * completion in a transaction finds its claim taken.
 */
class SettlingStore extends CountingStore {
  readonly renewals = new Map<string, number>();
  private failingClaim?: () => void;
  private nextCompletionInTransaction?: 'refuse' | 'fail';
  private readonly waiters: Array<{ key: string; count: number; resolve: () => void }> = [];

  constructor(dataSource: DataSource) {
    super(dataSource);
  }

  /** The next `claim()` throws; resolves once it has. */
  failNextClaim(): Promise<void> {
    return new Promise((resolve) => (this.failingClaim = resolve));
  }

  /** The next completion in a transaction returns false, as if the claim were taken. */
  refuseNextCompletionInTransaction(): void {
    this.nextCompletionInTransaction = 'refuse';
  }

  /** The next completion in a transaction throws, as when the connection broke. */
  failNextCompletionInTransaction(): void {
    this.nextCompletionInTransaction = 'fail';
  }

  /**
   * Resolves once the key has been completed `count` times, or after 2 s (a bound only for a
   * broken library, so that the test fails at its assertion instead of at Jest's timeout).
   */
  completed(key: string, count: number): Promise<void> {
    if ((this.completions.get(key) ?? 0) >= count) return Promise.resolve();
    const completed = new Promise<void>((resolve) => this.waiters.push({ key, count, resolve }));
    return Promise.race([completed, delay(2000)]);
  }

  override async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const failed = this.failingClaim;
    this.failingClaim = undefined;
    if (failed) {
      setImmediate(failed);
      throw new Error('connection refused');
    }
    return super.claim(request);
  }

  override async renew(claim: Claim, lockTimeoutSeconds: number): Promise<boolean> {
    this.renewals.set(claim.key, (this.renewals.get(claim.key) ?? 0) + 1);
    return super.renew(claim, lockTimeoutSeconds);
  }

  override async complete(
    claim: Claim,
    response: StoredResponse,
    transaction?: EntityManager,
  ): Promise<boolean> {
    const fault = transaction && this.nextCompletionInTransaction;
    if (fault) {
      this.nextCompletionInTransaction = undefined;
      if (fault === 'fail') throw new Error('Connection terminated unexpectedly');
      return false;
    }
    const completed = await super.complete(claim, response, transaction);
    for (const waiter of this.waiters.filter((w) => this.completions.get(w.key)! >= w.count)) {
      waiter.resolve();
    }
    return completed;
  }
}

// How a transactional claim ends besides the plain commit: what ClaimedOperation does once the
// handler's transaction has committed or rolled back, and what the protocol does when the
// completion in the transaction fails.
describe('the transactional mode, settling what went out', () => {
  let store: SettlingStore;
  const log = new EventLog();
  const { db, apps } = useTestApps(async (database) => {
    await database.query(CREATE_LEDGER_SQL);
    return ledgerModule(
      database.url,
      { lockTimeout: 1, onEvent: log.onEvent },
      (dataSource) => (store = new SettlingStore(dataSource)),
    );
  });
  const [app] = apps;

  async function ledgerRows(ref: string): Promise<number> {
    const { rows } = await db.query('SELECT count(*)::int AS n FROM ledger WHERE ref = $1', [ref]);
    return rows[0].n;
  }

  async function keyStatus(key: string): Promise<string | undefined> {
    const { rows } = await db.query('SELECT status FROM idempotency_keys WHERE key = $1', [key]);
    return rows[0]?.status;
  }

  function credit(key: string, ref: string) {
    return app.http().post('/ledger/credit').set('Idempotency-Key', key).send({ ref, amount: 10 });
  }

  it("never renews a claim made in the handler's transaction, however long the handler runs", async () => {
    const [key, ref] = [newKey(), newKey()];
    const gate = gates.create('tx-slow');
    const first = credit(key, ref)
      .set('X-Gate', 'tx-slow')
      .then((r) => r);
    await gate.entered;
    // A leased claim would be renewed every third of lockTimeout (1 s) by now: that claim is
    // not committed, so a renewal would find no row, and report a take-over that did not happen.
    await delay(1000);
    gate.release();
    expect((await first).status).toBe(201);
    expect(store.renewals.get(key)).toBeUndefined();
    expect(log.outcomesOf(key)).toEqual(['claimed', 'completed']);
  });

  it.each(['body', 'location', 'status'])(
    'stores what went out when an outer interceptor changed the %s after the commit, and replays that',
    async (rewrite) => {
      const key = newKey();
      const body = { ref: newKey(), amount: 10 };
      const send = () =>
        app
          .http()
          .post('/ledger/credit')
          .set('Idempotency-Key', key)
          .set('X-Rewrite', rewrite)
          .send(body);
      const first = await send();
      expect(first.status).toBe(rewrite === 'status' ? 202 : 201);
      // Committed with the handler's answer, then corrected to what went out.
      await store.completed(key, 2);
      const replay = await send();
      expect(replay.headers['idempotent-replay']).toBe('true');
      expect(replay.status).toBe(first.status);
      expect(replay.headers.location).toBe(first.headers.location);
      expect(replay.text).toBe(first.text);
      expect(store.completions.get(key)).toBe(2);
      expect(calls.of('credit')).toBe(1);
      // One ending: the commit's. The correction reports nothing of its own.
      expect(log.outcomesOf(key)).toEqual(['claimed', 'completed', 'replayed']);
    },
  );

  it('corrects nothing when the outer interceptor leaves the answer alone', async () => {
    const key = newKey();
    const body = { ref: newKey(), amount: 10 };
    const send = () => app.http().post('/ledger/credit').set('Idempotency-Key', key).send(body);
    await send();
    expect((await send()).headers['idempotent-replay']).toBe('true');
    expect(store.completions.get(key)).toBe(1);
  });

  it("answers a rolled-back handler's 4xx when the store cannot take it: the key stays free, and a retry runs", async () => {
    const [key, ref] = [newKey(), newKey()];
    const logs = captureLogs();
    try {
      const claimFailed = store.failNextClaim();
      const first = await credit(key, ref).set('X-Fail', 'client');
      expect(first.status).toBe(400);
      // The ending is reported as soon as the claim has failed (in microtasks; this resolves
      // in the next macrotask).
      await claimFailed;
      expect(log.outcomesOf(key)).toEqual(['claimed', 'released']);
      expect(logs.lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          text: expect.stringContaining('Could not store the answer of idempotency key'),
        }),
      );
    } finally {
      logs.stop();
    }
    expect(await keyStatus(key)).toBeUndefined();
    const retry = await credit(key, ref);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replay']).toBeUndefined();
    expect(await ledgerRows(ref)).toBe(1);
    expect(calls.of('credit')).toBe(2);
  });

  it('rolls the handler back and answers 409 in_use when the completion in its transaction finds the claim taken', async () => {
    const [key, ref] = [newKey(), newKey()];
    store.refuseNextCompletionInTransaction();
    const first = await credit(key, ref);
    expectProblem(first, 409, 'idempotency_key_in_use');
    expect(await ledgerRows(ref)).toBe(0);
    expect(calls.of('credit')).toBe(1);
    // Its 409 is no answer of the key's: nothing is stored, and the key is not this request's
    // to report on (its taker reported taken_over).
    expect(await keyStatus(key)).toBeUndefined();
    expect(log.outcomesOf(key)).toEqual(['claimed']);
  });

  it('answers 503 store_unavailable, reported at "settle", when the completion in its transaction fails: the handler rolls back, nothing is stored', async () => {
    const [key, ref] = [newKey(), newKey()];
    store.failNextCompletionInTransaction();
    const first = await credit(key, ref);
    expectProblem(first, 503, 'idempotency_store_unavailable');
    expect(await ledgerRows(ref)).toBe(0);
    expect(await keyStatus(key)).toBeUndefined();
    expect(log.of(key)).toEqual([
      expect.objectContaining({ outcome: 'claimed' }),
      expect.objectContaining({ outcome: 'store_unavailable', stage: 'settle' }),
    ]);
    const retry = await credit(key, ref);
    expect(retry.status).toBe(201);
    expect(await ledgerRows(ref)).toBe(1);
  });

  it('ends a response whose headers went out before the commit when the completion fails: no problem can follow, and the client is not left waiting', async () => {
    const key = newKey();
    store.failNextCompletionInTransaction();
    const send = () => app.http().post('/ledger/early').set('Idempotency-Key', key).timeout(5000);
    const first = await send().set('X-Flush', 'yes');
    // The status line that went out before the commit; no body after it.
    expect(first.status).toBe(201);
    expect(first.text).toBe('');
    expect(log.outcomesOf(key)).toEqual(['claimed', 'store_unavailable']);
    expect(await keyStatus(key)).toBeUndefined();
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual({ early: true });
    expect(calls.of('early')).toBe(2);
  });

  it('fails IdempotencyService.run() with in_use, stores nothing and reports no ending, when the completion in its transaction finds the claim taken', async () => {
    const [key, ref] = [newKey(), newKey()];
    const cls = app.app.get<ClsService>(ClsServiceClass);
    const ledger = app.app.get<LedgerService>(LedgerServiceClass);
    store.refuseNextCompletionInTransaction();
    const error = await cls
      .run(() =>
        app.app
          .get(IdempotencyService)
          .run('ledger.job', key, () => ledger.credit(ref, 5), { transactional: true }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyException);
    expect((error as IdempotencyException).code).toBe('idempotency_key_in_use');
    expect(await ledgerRows(ref)).toBe(0);
    expect(await keyStatus(key)).toBeUndefined();
    // run() abandons the operation it owned; the key is its taker's to report on.
    expect(log.outcomesOf(key)).toEqual(['claimed']);
  });
});

// What went out can differ from what was committed in another way: it was too large to store.
describe('the transactional mode, a response larger than maxResponseBytes', () => {
  let store: SettlingStore;
  const { apps } = useTestApps(async (database) => {
    await database.query(CREATE_LEDGER_SQL);
    return ledgerModule(
      database.url,
      { maxResponseBytes: 4 },
      (dataSource) => (store = new SettlingStore(dataSource)),
    );
  });
  const [app] = apps;

  it('is sent whole, and its key is then completed without a body: a retry gets 409 response_unavailable, the handler does not run again', async () => {
    const key = newKey();
    const send = () => app.http().post('/ledger/note').set('Idempotency-Key', key);
    const first = await send();
    expect(first.status).toBe(201);
    expect(first.text).toBe('note #1 \u00e9');
    // Committed with the body in the transaction, then corrected to what could be stored.
    await store.completed(key, 2);
    expectProblem(await send(), 409, 'idempotency_response_unavailable');
    expect(calls.of('note')).toBe(1);
  });
});

// shouldStore decides in the transactional mode too: the work and the key commit together or not
// at all, so an answer it refuses rolls back the handler's writes, as a thrown error would.
describe('the transactional mode, with a shouldStore that refuses the answer', () => {
  const { db, apps } = useTestApps(async (database) => {
    await database.query(CREATE_LEDGER_SQL);
    return ledgerModule(database.url, { shouldStore: ({ status }) => status !== 201 });
  });
  const [app] = apps;

  it("rolls back the handler's writes with the claim, and still answers: a retry runs the handler again", async () => {
    const [key, ref] = [newKey(), newKey()];
    const send = () =>
      app.http().post('/ledger/credit').set('Idempotency-Key', key).send({ ref, amount: 10 });
    expect((await send()).status).toBe(201);
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replay']).toBeUndefined();
    expect(calls.of('credit')).toBe(2);
    const { rows } = await db.query(
      `SELECT (SELECT count(*)::int FROM ledger WHERE ref = $1) AS credits,
              (SELECT count(*)::int FROM idempotency_keys WHERE key = $2) AS keys`,
      [ref, key],
    );
    // The second run's writes rolled back too.
    expect(rows[0]).toEqual({ credits: 0, keys: 0 });
  });
});

// The transactional mode commits the response it expects Express to send for the handler's
// value: with the app's JSON settings, or a correction follows every request.
// Express's own settings: on Fastify, a route's serializer does this job (lib-fastify skips it).
(TEST_ADAPTER === 'express' ? describe : describe.skip)(
  "the transactional mode, with Express's JSON settings",
  () => {
    let store: SettlingStore;
    const { apps } = useTestApps(async (database) => {
      await database.query(CREATE_LEDGER_SQL);
      return ledgerModule(
        database.url,
        {},
        (dataSource) => (store = new SettlingStore(dataSource)),
      );
    });
    const [app] = apps;

    beforeAll(() => {
      const express = app.app.getHttpAdapter().getInstance();
      express.set('json spaces', 2);
      express.set('json escape', true);
      express.set('json replacer', (name: string, value: unknown) =>
        name === 'n' ? undefined : value,
      );
    });

    it('commits what res.json() sends (spaces, escapes, replacer): nothing to correct after the commit', async () => {
      const key = newKey();
      const ref = `<${newKey()}&>`;
      const send = () =>
        app.http().post('/ledger/credit').set('Idempotency-Key', key).send({ ref, amount: 10 });
      const first = await send();
      expect(first.status).toBe(201);
      expect(first.text).toBe(`{\n  "ref": "\\u003c${ref.slice(1, -2)}\\u0026\\u003e"\n}`);
      const replay = await send();
      expect(replay.headers['idempotent-replay']).toBe('true');
      expect(replay.text).toBe(first.text);
      expect(store.completions.get(key)).toBe(1);
    });
  },
);
