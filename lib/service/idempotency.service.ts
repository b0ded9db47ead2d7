import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { claimKey, settleClaim } from './claim-key.js';
import { IdempotencyException } from './errors/idempotency.exception.js';
import { RESOLVED_IDEMPOTENCY_OPTIONS } from './idempotency.constants.js';
import type { Duration } from './idempotency-module-options.interface.js';
import { fingerprintRequest } from './key/fingerprint-request.js';
import { parseDuration } from './key/parse-duration.js';
import { parseIdempotencyKey } from './key/parse-idempotency-key.js';
import type { ResolvedIdempotencyOptions } from './resolved-idempotency-options.interface.js';
import { IdempotencyStore, type StoredResponse } from './store/idempotency-store.js';
import { TransactionRunner } from './transaction/transaction-runner.js';

/** Options of `IdempotencyService.run()`. */
export interface IdempotencyRunOptions {
  /** How long the key is remembered. Defaults to the module's `ttl`. */
  ttl?: Duration;
  /**
   * What identifies the operation's input (compared by meaning, like a JSON body). A later call
   * with the same key and another fingerprint fails with `idempotency_key_reused`.
   * @default none: only the key counts
   */
  fingerprint?: unknown;
  /**
   * Runs `fn` in a transaction of `@nestjs-cls/transactional` that also completes the key.
   * @default false
   */
  transactional?: boolean;
}

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
    private readonly store: IdempotencyStore,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Runs `fn` once per `(scope, key)`: the first call runs it and stores its JSON-serializable
   * result; later calls return that stored result without running `fn`. If `fn` throws, nothing
   * is stored and the next call runs it again.
   * @throws IdempotencyException `idempotency_key_in_use` while another call with the key runs,
   *   `idempotency_key_reused` for another fingerprint, `idempotency_key_invalid`,
   *   `idempotency_store_unavailable`
   * @example
   * await idempotency.run('orders.paid', event.id, () => this.ledger.credit(event), { transactional: true });
   */
  async run<T>(
    scope: string,
    key: string,
    fn: () => Promise<T>,
    options: IdempotencyRunOptions = {},
  ): Promise<T> {
    const parsedKey = parseIdempotencyKey(key, this.options.maxKeyLength);
    if (parsedKey === undefined) throw IdempotencyException.keyInvalid(this.options.maxKeyLength);
    const decision = await claimKey(
      this.store,
      {
        scope,
        key: parsedKey,
        fingerprint: fingerprintRequest({ method: 'RUN', url: scope, body: options.fingerprint }),
        ttlSeconds:
          options.ttl === undefined ? this.options.ttlSeconds : durationOrThrow(options.ttl),
        lockTimeoutSeconds: this.options.lockTimeoutSeconds,
      },
      this.options.mismatchStatus,
    );
    if (decision.replay) return fromStored<T>(decision.replay);
    const { claim } = decision;
    try {
      if (!options.transactional) {
        const result = await fn();
        await settleClaim(this.store, claim, toStored(result));
        return result;
      }
      return await this.transactions.run(async (transaction) => {
        const result = await fn();
        if (!(await this.store.complete(claim, toStored(result), transaction))) {
          throw IdempotencyException.keyInUse(1); // taken over: roll back rather than apply twice
        }
        return result;
      });
    } catch (error) {
      await settleClaim(this.store, claim, undefined);
      throw error;
    }
  }

  /**
   * Deletes expired keys in bounded batches.
   * @returns how many keys were deleted
   */
  purgeExpired(): Promise<number> {
    return this.store.purgeExpired();
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

function durationOrThrow(ttl: Duration): number {
  const seconds = parseDuration(ttl);
  if (seconds === undefined)
    throw new RangeError(
      `Invalid ttl ${JSON.stringify(ttl)}: expected seconds (> 0) or a duration such as "24h"`,
    );
  return seconds;
}
