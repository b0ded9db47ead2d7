import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { IdempotencyProtocol } from '../core/idempotency-protocol.js';
import { HttpExchanges } from '../http/http-exchanges.js';
import { IdempotencyExceptionFilter } from '../http/idempotency-exception.filter.js';
import { IdempotencyInterceptor } from '../http/idempotency.interceptor.js';
import { IdempotentRoutes } from '../http/idempotent-routes.js';
import { IDEMPOTENCY_MODULE_OPTIONS } from '../idempotency.constants.js';
import { RESOLVED_IDEMPOTENCY_OPTIONS } from '../idempotency-internal.constants.js';
import { IdempotencyEvents } from '../observability/idempotency-events.js';
import { IdempotencyService } from '../service/idempotency.service.js';
import { IdempotencyStore } from '../store/idempotency-store.js';
import { TransactionBridge } from '../transaction/transaction-bridge.js';
import { checkPeerDependencies } from './check-peer-dependencies.js';
import {
  ConfigurableModuleClass,
  type ASYNC_OPTIONS_TYPE,
  type OPTIONS_TYPE,
} from './idempotency.module-definition.js';
import { resolveIdempotencyOptions } from './resolve-idempotency-options.js';

/**
 * Makes `@Idempotent()` routes safe to retry. Registers its interceptor and its problem+json
 * exception filter globally; keys live in the `idempotency_keys` table (run the migration first).
 * @throws IdempotencyConfigurationError at start-up when NestJS or TypeORM is outside the
 *   supported range, or an option is invalid (`IdempotencyOptionsError`)
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
      inject: [IDEMPOTENCY_MODULE_OPTIONS],
      useFactory: resolveIdempotencyOptions,
    },
    TransactionBridge,
    IdempotencyEvents,
    IdempotencyProtocol,
    IdempotencyService,
    IdempotentRoutes,
    HttpExchanges,
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
    { provide: APP_FILTER, useClass: IdempotencyExceptionFilter },
  ],
  exports: [IdempotencyService, IdempotencyStore],
})
export class IdempotencyModule extends ConfigurableModuleClass {
  /** Every option has a default, so `forRoot()` needs no argument. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    checkPeerDependencies();
    return super.forRoot(options);
  }

  /** Options from a factory, e.g. one that reads `ConfigService`. */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    checkPeerDependencies();
    return super.forRootAsync(options);
  }
}
