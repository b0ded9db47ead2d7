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

/**
 * Bench plumbing, not the library: lets one app serve the library's store on its routes and
 * another store (a variant, an experiment) on a route of its own, so both run in the same
 * process (same JIT warmth, same CPU). A key's scope names its route (`|POST /exp-tx-named`),
 * which picks the store.
 * Everything else passes straight through to the library's own `PostgresIdempotencyStore`.
 */
export class ScopeRoutedIdempotencyStore extends IdempotencyStore {
  constructor(
    private readonly fallback: IdempotencyStore,
    private readonly routes: readonly [scopePart: string, store: IdempotencyStore][],
  ) {
    super();
  }

  claim(request: ClaimRequest): Promise<ClaimOutcome> {
    return this.pick(request.scope).claim(request);
  }

  override claimInTransaction(
    request: ClaimRequest,
    transaction: unknown,
    waitSeconds: number,
  ): Promise<ClaimOutcome> {
    return this.pick(request.scope).claimInTransaction(request, transaction, waitSeconds);
  }

  complete(claim: Claim, response: StoredResponse, transaction?: EntityManager): Promise<boolean> {
    return this.pick(claim.scope).complete(claim, response, transaction);
  }

  release(claim: Claim): Promise<boolean> {
    return this.pick(claim.scope).release(claim);
  }

  renew(claim: Claim, lockTimeoutSeconds: number): Promise<boolean> {
    return this.pick(claim.scope).renew(claim, lockTimeoutSeconds);
  }

  purgeExpired(batchSize?: number): Promise<number> {
    return this.fallback.purgeExpired(batchSize);
  }

  inspect(scope: string, key: string, options?: InspectKeyOptions): Promise<StoredKey | undefined> {
    return this.pick(scope).inspect(scope, key, options);
  }

  evict(scope: string, key: string, options?: EvictKeyOptions): Promise<Eviction> {
    return this.pick(scope).evict(scope, key, options);
  }

  stats(): Promise<IdempotencyStoreStats> {
    return this.fallback.stats();
  }

  private pick(scope: string): IdempotencyStore {
    for (const [part, store] of this.routes) if (scope.includes(part)) return store;
    return this.fallback;
  }
}
