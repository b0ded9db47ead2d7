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
import type { EvictKeyOptions, Eviction } from '../store/eviction.interface.js';
import type { IdempotencyStoreStats } from '../store/idempotency-store-stats.interface.js';
import { IdempotencyStore, type StoredResponse } from '../store/idempotency-store.js';
import type { InspectKeyOptions, StoredKey } from '../store/stored-key.interface.js';
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

  /**
   * Operator tool: a key as the store holds it (status, fingerprint, age, expiry, the stored
   * response's status and headers), or `undefined`. Reads only. The stored body only with
   * `{ body: true }`.
   * @param scope the stored scope: `tenantScope(tenant, 'POST /customers')` for an HTTP route
   *   (or its `@Idempotent({ scope })`), the `scope` given to `run()` otherwise
   * @param key the key as stored: a header sent as an sf-string (`"abc"`) is stored as `abc`
   * @example
   * await idempotency.inspect(tenantScope(tenantId, 'POST /payments'), 'order-42');
   */
  inspect(scope: string, key: string, options?: InspectKeyOptions): Promise<StoredKey | undefined> {
    return this.store.inspect(scope, key, options);
  }

  /**
   * Operator tool: deletes a key, so that the next request with it runs as new. A key whose
   * request is still running is left alone unless `{ force: true }`; forcing lets a retry run
   * while the first still runs. Logged.
   * @returns what was done: `{ evicted: true, status }`, or `{ evicted: false, reason }`
   *   (`not_found`, `in_flight`)
   * @example
   * await idempotency.evict('orders.paid', event.id);
   */
  async evict(scope: string, key: string, options: EvictKeyOptions = {}): Promise<Eviction> {
    const eviction = await this.store.evict(scope, key, options);
    if (eviction.evicted) {
      const running = eviction.status === 'in_progress' && options.force ? ', forced' : '';
      this.logger.log(
        `Evicted idempotency key "${key}" of scope "${scope}" (was ${eviction.status}${running})`,
      );
    }
    return eviction;
  }

  /**
   * Operator tool: keys by status, the age of the oldest live claim, stale claims and expired
   * keys waiting for the purge. Cheap enough to poll: on PostgreSQL it reads indexes only (run
   * the in-flight index migration) and estimates the completed count on large tables.
   */
  stats(): Promise<IdempotencyStoreStats> {
    return this.store.stats();
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
