import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { IdempotencyStore } from '../store/idempotency-store.js';

/** Options of `IdempotencyHealthIndicator.isHealthy()`. */
export interface IdempotencyHealthCheckOptions {
  /**
   * Milliseconds to wait for the store before reporting it down (a database that drops packets
   * would otherwise hang the health check).
   * @default 1000
   */
  timeout?: number;
}

/**
 * A `@nestjs/terminus` health indicator for the idempotency store: up when the store can be
 * reached and holds its table (`idempotency_keys`), down with the reason otherwise. From
 * `nestjs-idempotency/terminus`, so that apps without terminus never load it.
 * @example
 * // health.module.ts: imports: [TerminusModule], providers: [IdempotencyHealthIndicator]
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.idempotency.isHealthy('idempotency')]);
 * }
 */
@Injectable()
export class IdempotencyHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * Checks the store now.
   * @param key the name of this indicator in the health check's result
   * @returns `{ [key]: { status: 'up', store, reachable, table, tablePresent } }` for PostgreSQL,
   *   or `status: 'down'` with a `message`
   */
  async isHealthy(
    key = 'idempotency',
    options: IdempotencyHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    // Resolved here, not injected: the indicator's module need not import IdempotencyModule.
    const store = this.moduleRef.get(IdempotencyStore, { strict: false });
    const facts = { store: store.constructor.name };
    const timeout = options.timeout ?? 1000;
    const health = await withTimeout(store.checkHealth(), timeout);
    if (health === undefined) {
      return indicator.down({ ...facts, message: `No answer from the store within ${timeout} ms` });
    }
    if (health.healthy) return indicator.up({ ...facts, ...health.details });
    return indicator.down({ ...facts, ...health.details, message: health.message });
  }
}

/** The promise's value, or `undefined` once `ms` have passed. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
