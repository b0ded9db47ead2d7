import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { ClaimedOperation } from '../core/claimed-operation.js';
import { IdempotencyProtocol, type TransactionalResult } from '../core/idempotency-protocol.js';
import { RESOLVED_IDEMPOTENCY_OPTIONS } from '../idempotency-internal.constants.js';
import { fingerprintRequest } from '../key/fingerprint-request.js';
import { durationSeconds } from '../key/parse-duration.js';
import type { ResolvedIdempotencyOptions } from '../module/resolved-idempotency-options.interface.js';
import { IdempotencyStore, type StoredResponse } from '../store/idempotency-store.js';
import type { IdempotencyRunOptions } from './idempotency-run-options.interface.js';

/**
 * The library's semantics for code that is not an HTTP handler: queue consumers, webhook
 * processors, scheduled jobs. Same store, same keys, same guarantees.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Idempotency');
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    @Inject(RESOLVED_IDEMPOTENCY_OPTIONS) private readonly options: ResolvedIdempotencyOptions,
    private readonly protocol: IdempotencyProtocol,
    private readonly store: IdempotencyStore,
  ) {}

  /**
   * Runs `fn` once per `(scope, key)`: the first call runs it and stores its JSON-serializable
   * result; later calls return that stored result without running `fn`. If `fn` throws, nothing
   * is stored and the next call runs it again.
   * @throws IdempotencyException `idempotency_key_in_use` while another call with the key runs,
   *   `idempotency_key_reused` for another fingerprint, `idempotency_key_invalid`,
   *   `idempotency_store_unavailable`
   * @throws IdempotencyOptionsError when `options.ttl` is not a duration
   * @example
   * await idempotency.run('orders.paid', event.id, () => this.ledger.credit(event), { transactional: true });
   */
  async run<T>(
    scope: string,
    key: string,
    fn: () => Promise<T>,
    options: IdempotencyRunOptions = {},
  ): Promise<T> {
    const request = {
      scope,
      key: this.protocol.parseKey(key, true),
      fingerprint: fingerprintRequest({ method: 'RUN', url: scope, body: options.fingerprint }),
      ttlSeconds:
        options.ttl === undefined ? this.options.ttlSeconds : durationSeconds('ttl', options.ttl),
      origin: { scope, tenant: undefined, route: undefined },
    };
    if (options.transactional) {
      let owned: ClaimedOperation | undefined;
      const work = (operation: ClaimedOperation) => {
        owned = operation;
        return fn();
      };
      let result: TransactionalResult<T>;
      try {
        result = await this.protocol.runInTransaction(
          request,
          this.waitSeconds(options.waitForInFlight),
          work,
          toStored,
        );
      } catch (error) {
        await owned?.abandon();
        throw error;
      }
      if (result.replay) return fromStored<T>(result.replay);
      await owned?.settle(toStored(result.value));
      return result.value;
    }
    const decision = await this.protocol.begin(request);
    if (decision.replay) return fromStored<T>(decision.replay);
    const { operation } = decision;
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      await operation.abandon();
      throw error;
    }
    await operation.settle(toStored(result));
    return result;
  }

  /**
   * Deletes expired keys in bounded batches.
   * @returns how many keys were deleted
   */
  purgeExpired(): Promise<number> {
    return this.store.purgeExpired();
  }

  private waitSeconds(waitForInFlight: IdempotencyRunOptions['waitForInFlight']): number {
    if (waitForInFlight === undefined) return this.options.waitForInFlightSeconds;
    return waitForInFlight === false ? 0 : durationSeconds('waitForInFlight', waitForInFlight);
  }

  onModuleInit(): void {
    if (this.options.purgeIntervalSeconds === false) return;
    this.purgeTimer = setInterval(() => {
      this.purgeExpired().catch((error: Error) =>
        this.logger.warn(`Purging expired keys failed: ${error.message}`),
      );
    }, this.options.purgeIntervalSeconds * 1000);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }
}

function toStored(result: unknown): StoredResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(result === undefined ? '' : JSON.stringify(result)),
  };
}

function fromStored<T>(stored: StoredResponse): T {
  const text = stored.body!.toString('utf8');
  return (text === '' ? undefined : JSON.parse(text)) as T;
}
