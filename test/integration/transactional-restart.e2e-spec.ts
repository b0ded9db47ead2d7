import '../support/cjs-interop.js';
import type { EntityManager } from 'typeorm';
import {
  PostgresIdempotencyStore,
  RestartTransactionError,
  type ClaimOutcome,
  type ClaimRequest,
} from '../../lib/index.js';
import { calls } from '../support/calls.js';
import { newKey } from '../support/keys.js';
import { expectProblem } from '../support/problem.js';
import { useTestApps } from '../support/use-test-apps.js';

// nestjs-cls is loaded only after cjs-interop has run (see there).
const { CREATE_LEDGER_SQL } = await import('../fixtures/ledger/ledger.service.js');
const { ledgerModule } = await import('../fixtures/ledger/ledger.module.js');

/**
 * The PostgreSQL store, counting its transactional claims. `loseClaimStatement` makes the next
 * one meet what a transaction pooler does to a named statement: the server connection of the
 * transaction already has one of that name (42P05), so PostgreSQL aborts the transaction.
 */
class PoolerLikeStore extends PostgresIdempotencyStore {
  claims = 0;
  loseClaimStatement = false;

  override async claimInTransaction(
    request: ClaimRequest,
    transaction: EntityManager,
    waitSeconds: number,
  ): Promise<ClaimOutcome> {
    this.claims++;
    if (this.loseClaimStatement) {
      this.loseClaimStatement = false;
      await transaction.query('PREPARE idempotency_claim_in_transaction AS SELECT 1');
    }
    return super.claimInTransaction(request, transaction, waitSeconds);
  }
}

/** A store whose every transactional claim asks for a restart. */
class AlwaysRestartingStore extends PostgresIdempotencyStore {
  claims = 0;

  override claimInTransaction(): Promise<ClaimOutcome> {
    this.claims++;
    return Promise.reject(new RestartTransactionError('test: always'));
  }
}

describe('the transactional mode, when the store aborts the transaction before the handler', () => {
  let store: PoolerLikeStore;
  let restarting: AlwaysRestartingStore;
  const { db, apps } = useTestApps(
    async (database) => {
      await database.query(CREATE_LEDGER_SQL);
      return ledgerModule(
        database.url,
        {},
        (dataSource) => (store = new PoolerLikeStore(dataSource)),
      );
    },
    (database) =>
      ledgerModule(
        database.url,
        {},
        (dataSource) => (restarting = new AlwaysRestartingStore(dataSource)),
      ),
  );
  const [app, restartingApp] = apps;

  async function ledgerRows(ref: string): Promise<number> {
    const { rows } = await db.query('SELECT count(*)::int AS n FROM ledger WHERE ref = $1', [ref]);
    return rows[0].n;
  }

  it('runs the transaction once more when a pooler lost the named claim: the handler runs once, and the key replays', async () => {
    const [key, ref] = [newKey(), newKey()];
    store.loseClaimStatement = true;
    const claimsBefore = store.claims;
    const first = await app
      .http()
      .post('/ledger/credit')
      .set('Idempotency-Key', key)
      .send({ ref, amount: 10 });
    expect(first.status).toBe(201);
    expect(store.claims - claimsBefore).toBe(2);
    expect(calls.of('credit')).toBe(1);
    expect(await ledgerRows(ref)).toBe(1);

    const replay = await app
      .http()
      .post('/ledger/credit')
      .set('Idempotency-Key', key)
      .send({ ref, amount: 10 });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replay']).toBe('true');
    expect(replay.text).toBe(first.text);
    expect(calls.of('credit')).toBe(1);
    expect(await ledgerRows(ref)).toBe(1);
  });

  it('restarts once only: a second restart answers 503 idempotency_store_unavailable, and the handler never runs', async () => {
    const key = newKey();
    const response = await restartingApp
      .http()
      .post('/ledger/credit')
      .set('Idempotency-Key', key)
      .send({ ref: newKey(), amount: 10 });
    expectProblem(response, 503, 'idempotency_store_unavailable');
    expect(restarting.claims).toBe(2);
    expect(calls.of('credit')).toBe(0);
  });
});
