import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { RESOLVED_IDEMPOTENCY_OPTIONS } from './idempotency.constants.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN,
  type OPTIONS_TYPE,
} from './idempotency.module-definition.js';
import { IdempotencyService } from './idempotency.service.js';
import { resolveIdempotencyOptions } from './resolve-idempotency-options.js';
import { IdempotencyStore } from './store/idempotency-store.js';
import { TransactionRunner } from './transaction/transaction-runner.js';

/**
 * Makes `@Idempotent()` routes safe to retry. Registers its interceptor globally; keys live in
 * the `idempotency_keys` table (run the migration first).
 * @example
 * IdempotencyModule.forRoot({ ttl: '24h', tenant: (ctx) => ctx.switchToHttp().getRequest().user.id })
 * @example
 * IdempotencyModule.forRootAsync({ inject: [ConfigService], useFactory: (config) => ({ ttl: config.get('IDEMPOTENCY_TTL') }) })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RESOLVED_IDEMPOTENCY_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: resolveIdempotencyOptions,
    },
    TransactionRunner,
    IdempotencyService,
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
  exports: [IdempotencyService, IdempotencyStore],
})
export class IdempotencyModule extends ConfigurableModuleClass {
  /** Every option has a default, so `forRoot()` needs no argument. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
