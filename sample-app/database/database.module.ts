import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  AddIdempotencyKeysInProgressIndex1796256200000,
  CreateIdempotencyKeys1796256000000,
} from '../../lib/index.js';
import { initializeDataSource } from './initialize-data-source.js';
import { CreateSampleTables1796256100000 } from './migrations/1796256100000-CreateSampleTables.js';

/**
 * The TypeORM DataSource on `DATABASE_URL`. The migrations run at start-up, one process at a
 * time (see `initializeDataSource`): the library's `idempotency_keys` table and its in-flight
 * index (the library never migrates by itself; the app opts in) and the sample app's own tables.
 * The app writes plain SQL, so there are no entities.
 */
@Module({})
export class DatabaseModule {
  static forRoot(url: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            type: 'postgres' as const,
            url,
            migrations: [
              CreateIdempotencyKeys1796256000000,
              CreateSampleTables1796256100000,
              AddIdempotencyKeysInProgressIndex1796256200000,
            ],
            logging: ['warn', 'migration'] as const,
            // A dead database fails requests within seconds (503), rather than queue them.
            extra: { max: 10, connectionTimeoutMillis: 3000 },
            // Start-up against an unreachable database gives up after about half a minute.
            retryAttempts: 5,
            retryDelay: 2000,
          }),
          dataSourceFactory: (options) => initializeDataSource(options!),
        }),
      ],
    };
  }
}
