import { Logger } from '@nestjs/common';
import { IdempotencyException } from '../errors/idempotency.exception.js';
import { IN_USE_RETRY_AFTER_SECONDS } from '../idempotency-internal.constants.js';
import type { ResponseSummary } from '../module/idempotency-module-options.interface.js';
import type { Claim, IdempotencyStore, StoredResponse } from '../store/idempotency-store.js';
import type { TransactionBridge } from '../transaction/transaction-bridge.js';

const logger = new Logger('Idempotency');

/** How many renewals fit in one lock timeout: two can fail before the lease runs out. */
const RENEWALS_PER_LOCK_TIMEOUT = 3;

/** What the heartbeat knows of the lease: ours, taken over, or unknown since a renewal failed. */
type Lease = 'held' | 'lost' | 'unconfirmed';

/** What a `ClaimedOperation` needs besides its claim. */
export interface ClaimedOperationContext {
  store: IdempotencyStore;
  transactions: TransactionBridge;
  shouldStore: (response: ResponseSummary) => boolean;
  lockTimeoutSeconds: number;
}

/**
 * A key this request owns, from the claim until it is settled: completed with the response,
 * released so that a retry runs again, or completed inside the handler's own transaction.
 * While it is open, its lease is renewed (a heartbeat every third of `lockTimeout`), so a
 * handler keeps its key however long it runs, and only a dead process's claim expires.
 */
export class ClaimedOperation {
  /** What the transactional mode committed with the handler's writes, if it did. */
  private committed?: StoredResponse;
  private lease: Lease = 'held';
  private heartbeat?: NodeJS.Timeout;
  private settled = false;

  constructor(
    private readonly claim: Claim,
    private readonly context: ClaimedOperationContext,
  ) {
    this.scheduleRenewal();
  }

  /**
   * Settles the key with the response that went out: stores it if `shouldStore` wants it, else
   * releases the key. After a transactional completion, only corrects the stored response if
   * what went out differs (an outer interceptor or a filter changed it). Logs instead of
   * throwing: the caller's answer is already decided.
   */
  async settle(sent: StoredResponse): Promise<void> {
    this.stopRenewing();
    if (this.committed === undefined) {
      await this.write(this.context.shouldStore(sent) ? sent : undefined);
    } else if (!sameResponse(this.committed, sent)) {
      await this.write(sent);
    }
  }

  /** Releases the key, so that a retry runs the operation again. Never throws. */
  abandon(): Promise<void> {
    this.stopRenewing();
    return this.write(undefined);
  }

  /**
   * Runs `work` in a transaction that also completes the key with the response its value will
   * produce, so both commit or neither does. If the lease was lost meanwhile (taken over, or a
   * renewal failed), everything rolls back: the new owner's run, or the retry's, is the one
   * that counts.
   * @throws IdempotencyException `idempotency_key_in_use` when the claim was taken over,
   *   `idempotency_store_unavailable` when a renewal could not reach the store
   */
  async runInTransaction<T>(
    work: () => Promise<T>,
    expectedResponse: (value: T) => StoredResponse,
  ): Promise<T> {
    const { store, transactions, shouldStore } = this.context;
    let response: StoredResponse | undefined;
    const value = await transactions.run(async (transaction) => {
      const result = await work();
      // The completion below locks the row until COMMIT; a renewal now would only wait for it.
      this.stopRenewing();
      this.assertLeaseHeld();
      response = expectedResponse(result);
      if (!shouldStore(response)) {
        response = undefined;
      } else if (!(await store.complete(this.claim, response, transaction))) {
        throw IdempotencyException.keyInUse(IN_USE_RETRY_AFTER_SECONDS);
      }
      return result;
    });
    this.committed = response;
    return value;
  }

  /**
   * Extends the claim's lock by `lockTimeout` from now. The heartbeat calls it; a lost or
   * failed renewal is logged and remembered for the transactional mode.
   */
  async renew(): Promise<void> {
    const { store, lockTimeoutSeconds } = this.context;
    try {
      const renewed = await store.renew(this.claim, lockTimeoutSeconds);
      if (this.settled) return;
      if (renewed) {
        this.lease = 'held';
        this.scheduleRenewal();
        return;
      }
      this.lease = 'lost';
      logger.warn(
        `Idempotency key "${this.claim.key}" was taken over while its handler still runs: the handler's lease could not be renewed`,
      );
    } catch (error) {
      if (this.settled) return;
      this.lease = 'unconfirmed';
      logger.error(
        `Could not renew the lease of idempotency key "${this.claim.key}": ${(error as Error).message}`,
      );
      this.scheduleRenewal();
    }
  }

  private scheduleRenewal(): void {
    const interval = (this.context.lockTimeoutSeconds * 1000) / RENEWALS_PER_LOCK_TIMEOUT;
    this.heartbeat = setTimeout(() => void this.renew(), interval);
    this.heartbeat.unref();
  }

  private stopRenewing(): void {
    this.settled = true;
    clearTimeout(this.heartbeat);
  }

  private assertLeaseHeld(): void {
    if (this.lease === 'lost') throw IdempotencyException.keyInUse(IN_USE_RETRY_AFTER_SECONDS);
    if (this.lease === 'unconfirmed') throw IdempotencyException.storeUnavailable();
  }

  private async write(response: StoredResponse | undefined): Promise<void> {
    const { store } = this.context;
    const action = response ? 'complete' : 'release';
    try {
      const settled = response
        ? await store.complete(this.claim, response)
        : await store.release(this.claim);
      if (!settled) {
        logger.warn(
          `Idempotency key "${this.claim.key}" was taken over by another request before this one finished`,
        );
      }
    } catch (error) {
      logger.error(
        `Could not ${action} idempotency key "${this.claim.key}": ${(error as Error).message}`,
      );
    }
  }
}

function sameResponse(a: StoredResponse, b: StoredResponse): boolean {
  const sameBody = a.body === null || b.body === null ? a.body === b.body : a.body.equals(b.body);
  const names = new Set([...Object.keys(a.headers), ...Object.keys(b.headers)]);
  return (
    a.status === b.status &&
    sameBody &&
    [...names].every((name) => a.headers[name] === b.headers[name])
  );
}
