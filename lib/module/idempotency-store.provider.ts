import type { FactoryProvider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { IdempotencyConfigurationError } from '../errors/idempotency-configuration.error.js';
import { RESOLVED_IDEMPOTENCY_OPTIONS } from '../idempotency-internal.constants.js';
import { IdempotencyStore } from '../store/idempotency-store.js';
import { PostgresIdempotencyStore } from '../store/postgres-idempotency.store.js';
import type { ResolvedIdempotencyOptions } from './resolved-idempotency-options.interface.js';

/** The `store` option if given, else the PostgreSQL store on the named (or default) DataSource. */
export function idempotencyStoreProvider(
  dataSourceName?: string,
): FactoryProvider<IdempotencyStore> {
  return {
    provide: IdempotencyStore,
    inject: [
      RESOLVED_IDEMPOTENCY_OPTIONS,
      { token: getDataSourceToken(dataSourceName), optional: true },
    ],
    useFactory: (options: ResolvedIdempotencyOptions, dataSource?: DataSource) => {
      if (options.store) return options.store;
      if (!dataSource) {
        const which = dataSourceName
          ? `the TypeORM DataSource "${dataSourceName}"`
          : 'a TypeORM DataSource';
        throw new IdempotencyConfigurationError(
          `IdempotencyModule needs ${which}: import TypeOrmModule.forRoot(...) in your app, or pass the "store" option.`,
        );
      }
      return new PostgresIdempotencyStore(dataSource, {
        preparedStatements: options.preparedStatements,
      });
    },
  };
}
