import type { EvictKeyOptions, Eviction } from './eviction.interface.js';
import type { IdempotencyStoreHealth } from './idempotency-store-health.interface.js';
import type { IdempotencyStoreStats } from './idempotency-store-stats.interface.js';
import type { InspectKeyOptions, StoredKey } from './stored-key.interface.js';

/** What a request asks of the store when it wants to own a key. */
export interface ClaimRequest {
  /** The operation the key belongs to (tenant and route). */
  scope: string;
  key: string;
  /** Identifies the request; a retry must bring the same one. */
  fingerprint: string;
  /** How long the key is remembered once completed. */
  ttlSeconds: number;
  /** How long the claim blocks others before it may be taken over. */
  lockTimeoutSeconds: number;
}

/** A response as it is stored and replayed. */
export interface StoredResponse {
  status: number;
  /** Lower-case header names (only those in `REPLAYED_HEADERS`). */
  headers: Record<string, string>;
  /** The body bytes, or `null` when the response was too large or streamed to keep. */
  body: Buffer | null;
}

/** Proof of owning a key: completing or releasing it needs the token written at claim time. */
export interface Claim {
  scope: string;
  key: string;
  token: string;
}

/** The answer to a claim. */
export type ClaimOutcome =
  | {
      state: 'claimed';
      claim: Claim;
      /**
       * The key was held by an in-flight claim not renewed for its lock timeout (its process
       * died or stalled), and this claim took it over. A key past its TTL is not taken over: it
       * names a new operation. Stores of your own may leave it out, which reads as `false`.
       */
      takenOver?: boolean;
    }
  /** `fingerprint` is unknown while the other claim is still uncommitted (transactional mode). */
  | { state: 'in_progress'; fingerprint: string | undefined }
  | { state: 'completed'; fingerprint: string; response: StoredResponse };

/**
 * Where keys live. Implementations must make `claim` atomic across processes, and must fence
 * `complete`, `release` and `renew` by the claim's token, so that a request whose claim was
 * taken over can never change the new owner's record. `describeIdempotencyStore` (from
 * `nestjs-idempotency/testing`) checks a store against this contract.
 *
 * It is also the injection token: inject `IdempotencyStore` to reach the configured store.
 */
export abstract class IdempotencyStore {
  /**
   * Claims the key for this request, or reports who has it. A new key, an expired one, or a
   * claim older than its lock timeout is claimed; otherwise the existing record is returned.
   * Must never write when it returns an existing record.
   */
  abstract claim(request: ClaimRequest): Promise<ClaimOutcome>;

  /**
   * Claims the key inside the caller's transaction (the transactional mode): the claim is
   * invisible to others until that transaction commits, and vanishes if it rolls back, so a
   * request that dies before its commit leaves nothing behind. A concurrent claim of the key in
   * another open transaction is `in_progress` (its fingerprint still unknown), unless the key was
   * already completed: then it is `completed`, as for `claim`; with
   * `waitSeconds` > 0 the claim first waits up to that long for that transaction to end, then
   * reports what it left. Stores without transactions keep this default, which refuses.
   * @param transaction a store-specific transaction (a TypeORM `EntityManager` for PostgreSQL)
   * @throws RestartTransactionError when the transaction is aborted and must run again from its
   *   start (before the work); the caller restarts it once
   */
  claimInTransaction(
    _request: ClaimRequest,
    _transaction: unknown,
    _waitSeconds: number,
  ): Promise<ClaimOutcome> {
    return Promise.reject(
      new Error(`${this.constructor.name} cannot claim keys inside a transaction`),
    );
  }

  /**
   * Stores the response and marks the key completed (or replaces the stored response of a key
   * this claim completed). Returns `false`, changing nothing, when the claim was taken over.
   * @param transaction a store-specific transaction to write in (a TypeORM `EntityManager` for
   *   the PostgreSQL store), so the completion commits with the handler's own writes.
   */
  abstract complete(
    claim: Claim,
    response: StoredResponse,
    transaction?: unknown,
  ): Promise<boolean>;

  /** Forgets an in-flight claim so a retry runs again. Returns `false` if it was taken over. */
  abstract release(claim: Claim): Promise<boolean>;

  /**
   * Extends an in-flight claim's lock to now + `lockTimeoutSeconds`, so that a handler still at
   * work is not taken over. Fenced like `complete`: returns `false`, changing nothing, when the
   * claim was taken over, completed or released. The key's TTL does not move.
   * @example
   * // every lockTimeout / 3 while the handler runs:
   * if (!(await store.renew(claim, 30))) abort(); // taken over: another request owns the key
   */
  abstract renew(claim: Claim, lockTimeoutSeconds: number): Promise<boolean>;

  /**
   * Deletes expired keys, `batchSize` rows per statement, until none are left.
   * @returns how many keys were deleted
   * @throws RangeError when `batchSize` is not a positive integer
   */
  abstract purgeExpired(batchSize?: number): Promise<number>;

  /**
   * Operator tool: the key as the store holds it, or `undefined` if it holds none. Never
   * writes. The body of a stored response only with `{ body: true }`.
   * @param scope the stored scope: for an HTTP route `tenantScope(tenant, 'POST /pattern')`, for
   *   `IdempotencyService.run()` the scope it was given
   */
  abstract inspect(
    scope: string,
    key: string,
    options?: InspectKeyOptions,
  ): Promise<StoredKey | undefined>;

  /**
   * Operator tool: deletes a key, so that the next request with it runs as new. A live claim
   * (its request still running) is left alone unless `force` is set; a stale one is deleted.
   * The check and the deletion are one step: a claim live when the store looks is never deleted
   * without `force`.
   */
  abstract evict(scope: string, key: string, options?: EvictKeyOptions): Promise<Eviction>;

  /**
   * Operator tool: keys by status, the oldest live claim, stale claims and expired keys waiting
   * for the purge. Cheap enough to poll: its cost should follow the keys in flight and the
   * expired ones, not all the keys kept.
   */
  abstract stats(): Promise<IdempotencyStoreStats>;

  /**
   * Whether the store can serve requests, for a health check. Never rejects. This default asks
   * `stats()`; a store that can tell more (the PostgreSQL store: reachable, table present)
   * overrides it.
   */
  async checkHealth(): Promise<IdempotencyStoreHealth> {
    try {
      await this.stats();
      return { healthy: true, details: {} };
    } catch (error) {
      return { healthy: false, details: {}, message: (error as Error).message };
    }
  }
}
