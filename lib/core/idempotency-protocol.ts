import { Inject, Injectable, Logger } from '@nestjs/common';
import { IdempotencyException } from '../errors/idempotency.exception.js';
import {
  IN_USE_RETRY_AFTER_SECONDS,
  RESOLVED_IDEMPOTENCY_OPTIONS,
} from '../idempotency-internal.constants.js';
import { encodeTenant } from '../key/encode-tenant.js';
import { hashIdempotencyKey } from '../key/hash-idempotency-key.js';
import { literalIdempotencyKey, parseIdempotencyKey } from '../key/parse-idempotency-key.js';
import type { ResolvedIdempotencyOptions } from '../module/resolved-idempotency-options.interface.js';
import type {
  IdempotencyEventDetails,
  IdempotencyEventSubject,
  IdempotencyMode,
} from '../observability/idempotency-event.interface.js';
import { IdempotencyEvents } from '../observability/idempotency-events.js';
import {
  IdempotencyStore,
  type ClaimOutcome,
  type ClaimRequest,
  type StoredResponse,
} from '../store/idempotency-store.js';
import { RestartTransactionError } from '../store/restart-transaction.error.js';
import { TransactionBridge } from '../transaction/transaction-bridge.js';
import { ClaimedOperation, type ClaimedOperationContext } from './claimed-operation.js';
import type { OperationRequest } from './operation-request.interface.js';

/** What to do with a request: send the stored response again, or run it as the key's owner. */
export type Decision =
  { replay: StoredResponse; operation?: never } | { operation: ClaimedOperation; replay?: never };

/** The end of a transactional run: the stored response to replay, or the work's own value. */
export type TransactionalResult<T> = { replay: StoredResponse } | { replay?: never; value: T };

/** Thrown inside the transaction to roll it back while still answering with the work's value. */
class Discard<T> {
  constructor(readonly value: T) {}
}

/**
 * The rules of the protocol, in one place: which keys are valid, and for a key whether the
 * request is replayed, refused (and with which error), or run — with its claim committed on
 * its own (default mode), or inside the work's own transaction (transactional mode). The
 * interceptor and `IdempotencyService` only translate their callers' terms to these calls.
 */
@Injectable()
export class IdempotencyProtocol {
  private readonly logger = new Logger('Idempotency');
  private readonly context: ClaimedOperationContext;

  constructor(
    @Inject(RESOLVED_IDEMPOTENCY_OPTIONS) private readonly options: ResolvedIdempotencyOptions,
    private readonly store: IdempotencyStore,
    private readonly transactions: TransactionBridge,
    private readonly events: IdempotencyEvents,
  ) {
    this.context = {
      store,
      shouldStore: options.shouldStore,
      lockTimeoutSeconds: options.lockTimeoutSeconds,
      events,
    };
  }

  /**
   * The key to store, or `undefined` when none was sent and none is required. Only the
   * header's value (`from: 'header'`) is read as a Structured Field string, where `"k"` names
   * `k`; a key function's or a caller's value is taken literally.
   * @throws IdempotencyException `idempotency_key_missing`, `idempotency_key_invalid`
   */
  parseKey(raw: string, required: true, from?: 'header' | 'value'): string;
  parseKey(
    raw: string | undefined,
    required: boolean,
    from?: 'header' | 'value',
  ): string | undefined;
  parseKey(
    raw: string | undefined,
    required: boolean,
    from: 'header' | 'value' = 'value',
  ): string | undefined {
    // `null` too: key functions are the app's code, and `body.id ?? null` reads as "no key".
    if (raw === undefined || raw === null) {
      if (required) throw IdempotencyException.keyMissing(this.options.headerName);
      return undefined;
    }
    const { maxKeyLength } = this.options;
    const key =
      typeof raw !== 'string'
        ? undefined // a number or an object from a key function is no key
        : from === 'header'
          ? parseIdempotencyKey(raw, maxKeyLength)
          : literalIdempotencyKey(raw, maxKeyLength);
    if (key === undefined) throw IdempotencyException.keyInvalid(maxKeyLength);
    return key;
  }

  /**
   * Default mode: claims the key (committed on its own, then leased while the work runs), or
   * finds the response to replay. Every other outcome is the error the caller gets.
   * @throws IdempotencyException `idempotency_key_reused`, `idempotency_key_in_use`,
   *   `idempotency_response_unavailable`, `idempotency_store_unavailable`
   */
  async begin(request: OperationRequest): Promise<Decision> {
    const claimRequest = this.claimRequest(request);
    const answer = this.answerer(request, 'default');
    let outcome: ClaimOutcome;
    try {
      outcome = await this.store.claim(claimRequest);
    } catch (error) {
      answer({ outcome: 'store_unavailable', stage: 'claim' });
      throw this.storeUnavailable(error);
    }
    if (outcome.state === 'claimed') {
      answer({ outcome: outcome.takenOver ? 'taken_over' : 'claimed' });
      return {
        operation: new ClaimedOperation(
          outcome.claim,
          claimRequest,
          this.context,
          'leased',
          answer.subject,
        ),
      };
    }
    return { replay: this.refuseOrReplay(outcome, request, answer) };
  }

  /**
   * Transactional mode, in one commit: opens a transaction, claims the key in it, runs `work`
   * in it, and completes the key with the response the work's value will produce, so the
   * claim, the work's writes and the stored response commit together or not at all. A
   * duplicate meets the uncommitted claim: it is refused at once, or with `waitSeconds` > 0
   * waits that long for the first to commit, then gets the replay. A transaction the store
   * aborted before the work (`RestartTransactionError`) runs once more.
   * @throws IdempotencyException as `begin()`; what `work` throws, after the rollback
   */
  async runInTransaction<T>(
    request: OperationRequest,
    waitSeconds: number,
    work: (operation: ClaimedOperation) => Promise<T>,
    expectedResponse: (value: T) => StoredResponse,
  ): Promise<TransactionalResult<T>> {
    const claimRequest = this.claimRequest(request);
    const answer = this.answerer(request, 'transactional');
    for (let restarted = false; ; restarted = true) {
      let operation: ClaimedOperation | undefined;
      let workFailed = false;
      try {
        const result = await this.transactions.run(async (transaction) => {
          const outcome = await this.store.claimInTransaction(
            claimRequest,
            transaction,
            waitSeconds,
          );
          if (outcome.state !== 'claimed') {
            return { replay: this.refuseOrReplay(outcome, request, answer) };
          }
          answer({ outcome: outcome.takenOver ? 'taken_over' : 'claimed' });
          operation = new ClaimedOperation(
            outcome.claim,
            claimRequest,
            this.context,
            'in-transaction',
            answer.subject,
          );
          let value: T;
          try {
            value = await work(operation);
          } catch (error) {
            workFailed = true;
            throw error;
          }
          const response = expectedResponse(value);
          // Not to be stored (a 5xx): nothing of it may stay, as if it had thrown.
          if (!this.options.shouldStore(response)) throw new Discard(value);
          if (!(await this.store.complete(outcome.claim, response, transaction))) {
            operation.takenOver();
            throw IdempotencyException.keyInUse(IN_USE_RETRY_AFTER_SECONDS);
          }
          operation.committedWith(response);
          return { value };
        });
        operation?.reportCommitted();
        return result;
      } catch (error) {
        // The face settles or abandons the operation, which reports how it ended.
        operation?.rolledBack();
        if (error instanceof Discard) return { value: error.value as T };
        if (workFailed || error instanceof IdempotencyException) throw error;
        // Aborted before the work ran, for a reason a new transaction does not have: once more.
        if (error instanceof RestartTransactionError && !restarted) continue;
        // BEGIN, the claim, the completion or COMMIT failed: whether or not the commit landed, a
        // retry is safe (it runs again, or replays).
        if (operation) operation.reportStoreUnavailable();
        else answer({ outcome: 'store_unavailable', stage: 'claim' });
        throw this.storeUnavailable(error);
      }
    }
  }

  private claimRequest(request: OperationRequest): ClaimRequest {
    const { scope, key, fingerprint, ttlSeconds } = request;
    return {
      scope,
      key,
      fingerprint,
      ttlSeconds,
      lockTimeoutSeconds: this.options.lockTimeoutSeconds,
    };
  }

  /** The answer to a key someone else holds or held. */
  private refuseOrReplay(
    outcome: Exclude<ClaimOutcome, { state: 'claimed' }>,
    request: OperationRequest,
    answer: Answerer,
  ): StoredResponse {
    if (outcome.fingerprint !== undefined && outcome.fingerprint !== request.fingerprint) {
      answer({ outcome: 'key_reused' });
      throw IdempotencyException.keyReused(this.options.mismatchStatus);
    }
    // The claim may be a second old or about to be taken over: one second is the useful hint.
    if (outcome.state === 'in_progress') {
      answer({ outcome: 'in_use' });
      throw IdempotencyException.keyInUse(IN_USE_RETRY_AFTER_SECONDS);
    }
    if (outcome.response.body === null) {
      answer({ outcome: 'response_unavailable' });
      throw IdempotencyException.responseUnavailable();
    }
    answer({ outcome: 'replayed', status: outcome.response.status });
    return outcome.response;
  }

  /** Reports a request's answer, timed from now: the claim starts right after. */
  private answerer(request: OperationRequest, mode: IdempotencyMode): Answerer {
    const { origin } = request;
    const subject: IdempotencyEventSubject = {
      scope: origin.scope,
      tenant: origin.tenant,
      route: origin.route,
      keyHash: hashIdempotencyKey(request.key),
      mode,
    };
    const started = performance.now();
    const answer = (details: IdempotencyEventDetails) =>
      this.events.emit({ ...subject, ...details, durationMs: performance.now() - started });
    return Object.assign(answer, { subject });
  }

  private storeUnavailable(error: unknown): IdempotencyException {
    this.logger.error(`Idempotency store unavailable: ${(error as Error).message}`);
    return IdempotencyException.storeUnavailable();
  }
}

/** Reports the answer to one request; `subject` is what all of its events share. */
type Answerer = ((details: IdempotencyEventDetails) => void) & {
  subject: IdempotencyEventSubject;
};

/**
 * The scope under which an HTTP route stores a tenant's keys: what `IdempotencyService.inspect()`
 * and `evict()` take for a route's key.
 * @param tenant what the module's `tenant` option returned for the request (`undefined` without it)
 * @param operation the route's `@Idempotent({ scope })`, else its method and route pattern as
 *   the adapter matched it, global prefix included: `'POST /customers/:id/payments'`
 * @example
 * tenantScope('acme', 'POST /payments'); // 'acme|POST /payments'
 */
export function tenantScope(tenant: string | undefined, operation: string): string {
  // The encoded tenant holds no "|", so the two parts cannot run together.
  return `${encodeTenant(String(tenant ?? ''))}|${operation}`;
}
