import { Module, type Type } from '@nestjs/common';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { DataSource } from 'typeorm';
import { IdempotencyModule, PostgresIdempotencyStore } from '../../lib/index.js';
import { NamedInTransactionStore } from '../experiments/named-in-transaction.store.js';
import { BenchRow } from './bench-row.entity.js';
import { BenchRowsService } from './bench-rows.service.js';
import { BenchStatsController } from './bench-stats.controller.js';
import { BenchController } from './bench.controller.js';
import { ScopeRoutedIdempotencyStore } from './scope-routed-idempotency.store.js';

/** How the runner configures one bench app process (from its environment). */
export interface BenchAppConfig {
  databaseUrl: string;
  poolSize: number;
}

/** The bench app: TypeORM on the bench database, the transaction plugin, the library. */
export function benchAppModule(config: BenchAppConfig): Type {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: config.databaseUrl,
        entities: [BenchRow],
        extra: { max: config.poolSize },
      }),
      ClsModule.forRoot({
        global: true,
        middleware: { mount: true },
        plugins: [
          new ClsPluginTransactional({
            imports: [TypeOrmModule],
            adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
          }),
        ],
      }),
      IdempotencyModule.forRootAsync({
        inject: [getDataSourceToken()],
        useFactory: (dataSource: DataSource) => ({
          // Longer than any run: the /held key must stay in flight, never be taken over.
          lockTimeout: '1h',
          // The library's own store, as the module builds it by default, on every route but
          // the experiment's.
          store: new ScopeRoutedIdempotencyStore(new PostgresIdempotencyStore(dataSource), [
            [
              '|POST /exp-tx-named',
              new NamedInTransactionStore(new PostgresIdempotencyStore(dataSource)),
            ],
          ]),
        }),
      }),
    ],
    controllers: [BenchController, BenchStatsController],
    providers: [BenchRowsService],
  })
  class BenchAppModule {}
  return BenchAppModule;
}
