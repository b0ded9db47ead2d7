import { Logger } from '@nestjs/common';
import { IdempotencyException } from '../errors/idempotency.exception.js';
import { IN_USE_RETRY_AFTER_SECONDS } from '../idempotency-internal.constants.js';
import type { ResponseSummary } from '../module/idempotency-module-options.interface.js';
import type { Claim, IdempotencyStore, StoredResponse } from '../store/idempotency-store.js';
import type { TransactionBridge } from '../transaction/transaction-bridge.js';

const logger = new Logger('Idempotency');

/**
 * A key this request owns, from the claim until it is settled: completed with the response,
 * released so that a retry runs again, or completed inside the handler's own transaction.
 */
export class ClaimedOperation {
  /** What the transactional mode committed with the handler's writes, if it did. */
  private committed?: StoredResponse;

  constructor(
    private readonly claim: Claim,
    private readonly store: IdempotencyStore,
    private readonly transactions: TransactionBridge,
    private readonly shouldStore: (response: ResponseSummary) => boolean,
  ) {}

  /**
   * Settles the key with the response that went out: stores it if `shouldStore` wants it, else
   * releases the key. After a transactional completion, only corrects the stored response if
   * what went out differs (an outer interceptor or a filter changed it). Logs instead of
   * throwing: the caller's answer is already decided.
   */
  async settle(sent: StoredResponse): Promise<void> {
    if (this.committed === undefined) {
      await this.write(this.shouldStore(sent) ? sent : undefined);
    } else if (!sameResponse(this.committed, sent)) {
      await this.write(sent);
    }
  }

  /** Releases the key, so that a retry runs the operation again. Never throws. */
  abandon(): Promise<void> {
    return this.write(undefined);
  }

  /**
   * Runs `work` in a transaction that also completes the key with the response its value will
   * produce, so both commit or neither does. If the claim was taken over meanwhile, everything
   * rolls back and `idempotency_key_in_use` is thrown: the new owner's run is the one that counts.
   */
  async runInTransaction<T>(
    work: () => Promise<T>,
    expectedResponse: (value: T) => StoredResponse,
  ): Promise<T> {
    let response: StoredResponse | undefined;
    const value = await this.transactions.run(async (transaction) => {
      const result = await work();
      response = expectedResponse(result);
      if (!this.shouldStore(response)) {
        response = undefined;
      } else if (!(await this.store.complete(this.claim, response, transaction))) {
        throw IdempotencyException.keyInUse(IN_USE_RETRY_AFTER_SECONDS);
      }
      return result;
    });
    this.committed = response;
    return value;
  }

  private async write(response: StoredResponse | undefined): Promise<void> {
    const action = response ? 'complete' : 'release';
    try {
      const settled = response
        ? await this.store.complete(this.claim, response)
        : await this.store.release(this.claim);
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
