import {
  Inject,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { FaultInjector } from './fault-injector.service.js';
import { FAULTS_ENABLED } from './faults.constants.js';
import { FaultsMiddleware } from './faults.middleware.js';

/** Fault injection for tests (`X-Simulate`), switched on by `SAMPLE_FAULTS=1`. */
@Module({})
export class FaultsModule implements NestModule {
  constructor(@Inject(FAULTS_ENABLED) private readonly enabled: boolean) {}

  static forRoot(options: { enabled: boolean }): DynamicModule {
    return {
      module: FaultsModule,
      global: true,
      providers: [{ provide: FAULTS_ENABLED, useValue: options.enabled }, FaultInjector],
      exports: [FaultInjector],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    if (this.enabled) consumer.apply(FaultsMiddleware).forRoutes('/');
  }
}
