import { Module, type DynamicModule } from '@nestjs/common';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { IdempotencyModule } from '../lib/index.js';
import type { AppConfig } from './app.config.js';
import { AuthModule } from './auth/auth.module.js';
import { tenantOf } from './auth/tenant-id.decorator.js';
import { CustomersModule } from './customers/customers.module.js';
import { DatabaseModule } from './database/database.module.js';
import { EconomyModule } from './economy/economy.module.js';
import { FaultsModule } from './faults/faults.module.js';
import { HealthModule } from './health/health.module.js';
import { HttpModule } from './http/http.module.js';
import { logIdempotencyEvent } from './observability/log-idempotency-event.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

/** What `AppModule` needs: the settings, with the database URL decided. */
export type AppModuleOptions = Omit<AppConfig, 'port' | 'host' | 'databaseUrl'> & {
  databaseUrl: string;
};

/**
 * The sample app. Create it with `bodyParser: false`: `HttpModule` reads bodies itself, so
 * that malformed JSON is answered inside the idempotent operation.
 */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forRoot(options.databaseUrl),
        // The transactional mode of @Idempotent runs handlers in a transaction of this plugin;
        // services write through its TransactionHost.
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
        IdempotencyModule.forRoot({
          ttl: options.idempotencyTtlSeconds,
          lockTimeout: options.idempotencyLockTimeoutSeconds,
          purgeInterval: options.idempotencyPurgeIntervalSeconds,
          // Keys are scoped per tenant: the same key from two tokens names two operations.
          tenant: tenantOf,
          // One log line per outcome (claimed, replayed, in_use, completed, ...).
          onEvent: logIdempotencyEvent,
        }),
        HttpModule,
        AuthModule,
        FaultsModule.forRoot({ enabled: options.faults }),
        HealthModule,
        CustomersModule,
        EconomyModule,
        WebhooksModule,
      ],
    };
  }
}
