import { Inject, Injectable, Logger } from '@nestjs/common';
import { IdempotencyException } from '../errors/idempotency.exception.js';
import {
  IN_USE_RETRY_AFTER_SECONDS,
  RESOLVED_IDEMPOTENCY_OPTIONS,
} from '../idempotency-internal.constants.js';
import { encodeTenant } from '../key/encode-tenant.js';
import { literalIdempotencyKey, parseIdempotencyKey } from '../key/parse-idempotency-key.js';
import type { ResolvedIdempotencyOptions } from '../module/resolved-idempotency-options.interface.js';
import {
  IdempotencyStore,
  type ClaimOutcome,
  type StoredResponse,
} from '../store/idempotency-store.js';
import { TransactionBridge } from '../transaction/transaction-bridge.js';
import { ClaimedOperation } from './claimed-operation.js';
import type { OperationRequest } from './operation-request.interface.js';

/** What to do with a request: send the stored response again, or run it as the key's owner. */
export type Decision =
  { replay: StoredResponse; operation?: never } | { operation: ClaimedOperation; replay?: never };

/**
 * The rules of the protocol, in one place: which keys are valid, and for a key whether the
 * request is replayed, refused (and with which error), or run. The interceptor and
 * `IdempotencyService` only translate their callers' terms to these calls.
 */
@Injectable()
export class IdempotencyProtocol {
  private readonly logger = new Logger('Idempotency');

  constructor(
    @Inject(RESOLVED_IDEMPOTENCY_OPTIONS) private readonly options: ResolvedIdempotencyOptions,
    private readonly store: IdempotencyStore,
    private readonly transactions: TransactionBridge,
  ) {}

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
   * Claims the key for this request, or finds the response to replay. Every other outcome is
   * the error the caller gets.
   * @throws IdempotencyException `idempotency_key_reused`, `idempotency_key_in_use`,
   *   `idempotency_response_unavailable`, `idempotency_store_unavailable`
   */
  async begin(request: OperationRequest): Promise<Decision> {
    let outcome: ClaimOutcome;
    try {
      outcome = await this.store.claim({
        ...request,
        lockTimeoutSeconds: this.options.lockTimeoutSeconds,
      });
    } catch (error) {
      this.logger.error(`Idempotency store unavailable: ${(error as Error).message}`);
      throw IdempotencyException.storeUnavailable();
    }
    if (outcome.state === 'claimed') {
      return {
        operation: new ClaimedOperation(
          outcome.claim,
          this.store,
          this.transactions,
          this.options.shouldStore,
        ),
      };
    }
    if (outcome.fingerprint !== request.fingerprint) {
      throw IdempotencyException.keyReused(this.options.mismatchStatus);
    }
    // The claim may be a second old or about to be taken over: one second is the useful hint.
    if (outcome.state === 'in_progress')
      throw IdempotencyException.keyInUse(IN_USE_RETRY_AFTER_SECONDS);
    if (outcome.response.body === null) throw IdempotencyException.responseUnavailable();
    return { replay: outcome.response };
  }
}

/** The scope of a route's keys for one tenant. */
export function tenantScope(tenant: string | undefined, operation: string): string {
  // The encoded tenant holds no "|", so the two parts cannot run together.
  return `${encodeTenant(String(tenant ?? ''))}|${operation}`;
}
