import type { PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import {
  IdempotencyStore,
  type Claim,
  type ClaimOutcome,
  type ClaimRequest,
  type EvictKeyOptions,
  type Eviction,
  type IdempotencyStoreStats,
  type InspectKeyOptions,
  type StoredKey,
  type StoredResponse,
} from '../../lib/index.js';
import { CLAIM_IN_TRANSACTION_SQL, COMPLETE_SQL } from '../support/store-sql.js';

const NAMES = new Map([
  [CLAIM_IN_TRANSACTION_SQL, 'bench_claim_in_transaction'],
  [COMPLETE_SQL, 'bench_complete_in_transaction'],
]);

/**
 * Experiment, not the library: the transactional mode with its completion named too, on the
 * transaction's own pg connection (the query runner's `databaseConnection`). The library sends
 * the claim named there and the completion unnamed through `queryRunner.query()`: a pooler that
 * lost a named completion would abort a transaction whose handler already ran, which only
 * running the handler again could recover, where a lost claim restarts a transaction in which
 * nothing ran yet. This measures what naming the completion would add.
 */
export class NamedInTransactionStore extends IdempotencyStore {
  constructor(private readonly store: IdempotencyStore) {
    super();
  }

  claim(request: ClaimRequest): Promise<ClaimOutcome> {
    return this.store.claim(request);
  }

  override claimInTransaction(
    request: ClaimRequest,
    transaction: unknown,
    waitSeconds: number,
  ): Promise<ClaimOutcome> {
    return this.store.claimInTransaction(request, named(transaction as EntityManager), waitSeconds);
  }

  complete(claim: Claim, response: StoredResponse, transaction?: unknown): Promise<boolean> {
    return this.store.complete(claim, response, transaction && named(transaction as EntityManager));
  }

  release(claim: Claim): Promise<boolean> {
    return this.store.release(claim);
  }

  renew(claim: Claim, lockTimeoutSeconds: number): Promise<boolean> {
    return this.store.renew(claim, lockTimeoutSeconds);
  }

  purgeExpired(batchSize?: number): Promise<number> {
    return this.store.purgeExpired(batchSize);
  }

  inspect(scope: string, key: string, options?: InspectKeyOptions): Promise<StoredKey | undefined> {
    return this.store.inspect(scope, key, options);
  }

  evict(scope: string, key: string, options?: EvictKeyOptions): Promise<Eviction> {
    return this.store.evict(scope, key, options);
  }

  stats(): Promise<IdempotencyStoreStats> {
    return this.store.stats();
  }
}

/** The transaction, with the claim and the completion sent named on its connection. */
function named(transaction: EntityManager): EntityManager {
  const runner = transaction.queryRunner!;
  const connection = (runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
  const query = async (text: string, values: unknown[]) => {
    const name = NAMES.get(text);
    if (name === undefined) return runner.query(text, values, true);
    const result = await connection.query({ name, text, values });
    return { records: result.rows, affected: result.rowCount };
  };
  return { queryRunner: { query } } as unknown as EntityManager;
}
