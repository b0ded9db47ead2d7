import { ConfigurableModuleBuilder } from '@nestjs/common';
import { IDEMPOTENCY_MODULE_OPTIONS } from '../idempotency.constants.js';
import type { IdempotencyModuleOptions } from './idempotency-module-options.interface.js';
import { idempotencyStoreProvider } from './idempotency-store.provider.js';

/** Options that shape the module itself, so they are known before any factory runs. */
export interface IdempotencyModuleExtras {
  /**
   * Register the module globally, so `IdempotencyService` can be injected anywhere.
   * @default false
   */
  isGlobal?: boolean;
  /**
   * Name of the TypeORM DataSource that holds the `idempotency_keys` table, as given to
   * `TypeOrmModule.forRoot({ name })`.
   * @default the default DataSource
   */
  dataSource?: string;
}

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<IdempotencyModuleOptions>({
    optionsInjectionToken: IDEMPOTENCY_MODULE_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setExtras<IdempotencyModuleExtras>(
      { isGlobal: false, dataSource: undefined },
      (definition, extras) => ({
        ...definition,
        global: extras.isGlobal,
        // The DataSource's token must be known when the module is declared, also for forRootAsync.
        providers: [...(definition.providers ?? []), idempotencyStoreProvider(extras.dataSource)],
      }),
    )
    .build();
